//! `createReconnectLink`, `revokeReconnectLink` and `reconnectLinks`: the GraphQL side of
//! reconnect links (issue 15). The token appears once, in the create payload's `url`.

use async_graphql::{Context, Enum, Guard, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::reconnect_links;

use super::{
    context::{app, database, viewer},
    errors::{ApiError, ApiResult, gql},
    guards::MayView,
    ids::{self, Kind},
    loaders::{UserKey, load},
    people::User,
    user_errors::{UserError, UserErrorCode},
};
use crate::{
    accounts,
    notices::note::{MAX_NOTE_CHARS, NoteError},
    reconnect::links::{self, LinkError, manage},
};

/// The state of a reconnect link.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::reconnect::links::LinkState")]
pub enum ReconnectLinkState {
    /// It may still be used.
    Open,
    /// A sign-in through it reconnected the login.
    Used,
    /// Its time ran out unused.
    Expired,
    /// It was revoked.
    Revoked,
}

/// The network identity that signed in through a link.
#[derive(SimpleObject, Clone, Debug)]
pub struct LinkIdentity {
    /// Its id at the network.
    pub external_id: String,
    /// Its name at the network.
    pub name: String,
}

/// A single-use link that lets whoever holds an account's network login reconnect it without a
/// dashboard seat. Its token is never shown again after `createReconnectLink`.
#[derive(Clone)]
pub struct ReconnectLink(pub reconnect_links::Model);

#[Object]
impl ReconnectLink {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::ReconnectLink, self.0.id)
    }

    /// OPEN, USED, EXPIRED or REVOKED, now.
    async fn state(&self, ctx: &Context<'_>) -> async_graphql::Result<ReconnectLinkState> {
        Ok(links::state_of(&self.0, gql(app(ctx))?.now()).into())
    }

    /// Who made it.
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(gql(load(ctx, UserKey(self.0.created_by)).await)?.map(User::from))
    }

    /// Where it was emailed, if anywhere.
    async fn recipient_email(&self) -> Option<&str> {
        self.0.recipient_email.as_deref()
    }

    /// The creator's note to the recipient.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it stops working.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// When the email went out, if one did.
    async fn emailed_at(&self) -> Option<DateTime<Utc>> {
        self.0.emailed_at
    }

    /// When a sign-in through it reconnected the login.
    async fn used_at(&self) -> Option<DateTime<Utc>> {
        self.0.used_at
    }

    /// The network identity that signed in through it.
    async fn used_by(&self) -> Option<LinkIdentity> {
        Some(LinkIdentity {
            external_id: self.0.used_identity.clone()?,
            name: self.0.used_identity_name.clone().unwrap_or_default(),
        })
    }

    /// When it was revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A link to make.
#[derive(InputObject)]
pub struct CreateReconnectLinkInput {
    /// The account to restore; one sign-in restores every account of its login (R7).
    pub social_account_id: ID,
    /// Where to email the link: one plain address of at most 254 characters (else
    /// `INVALID_EMAIL`). Without it, copy the `url` yourself.
    pub email: Option<String>,
    /// A note for the recipient, quoted in the email and on the link's page as yours: at most
    /// 1,000 characters of plain text and line breaks (else `NOTE_INVALID`).
    pub note: Option<String>,
    /// How long the link works, in seconds: 3600 (one hour) to 604800 (seven days), 259200
    /// (72 hours) when left out (else `EXPIRES_IN_OUT_OF_RANGE`).
    pub expires_in: Option<i64>,
}

/// The made link.
#[derive(SimpleObject, Default)]
pub struct CreateReconnectLinkPayload {
    /// The link.
    pub reconnect_link: Option<ReconnectLink>,
    /// `{public url}/connect/{token}`: shown this once, never again.
    pub url: Option<String>,
    /// Whether the email went out (false when none was asked for or sending failed).
    pub emailed: bool,
    /// Expected refusals (`RECONNECT_NOT_ALLOWED`, `INVALID_EMAIL`, `NOTE_INVALID`,
    /// `EXPIRES_IN_OUT_OF_RANGE`); nothing was made when present.
    pub user_errors: Vec<UserError>,
}

/// Which link to revoke.
#[derive(InputObject)]
pub struct RevokeReconnectLinkInput {
    /// The link's global id.
    pub id: ID,
}

/// The revoked link.
#[derive(SimpleObject, Default)]
pub struct RevokeReconnectLinkPayload {
    /// The link, REVOKED.
    pub reconnect_link: Option<ReconnectLink>,
    /// Expected refusals (`RECONNECT_NOT_ALLOWED`, `LINK_NOT_OPEN`); nothing changed when present.
    pub user_errors: Vec<UserError>,
}

/// The user error a refused link operation becomes, or the API error when it is not the user's.
fn user_error(error: LinkError) -> ApiResult<UserError> {
    use UserErrorCode as Code;
    let field = |name: &str| Some(vec!["input".to_owned(), name.to_owned()]);
    let (code, field, message) = match error {
        LinkError::NotFound => return Err(ApiError::NotFound),
        LinkError::Internal(cause) => return Err(ApiError::Internal(cause)),
        LinkError::NotAllowed => (
            Code::ReconnectNotAllowed,
            None,
            "You may not reconnect this account, so you may not send a link for it: ask an admin."
                .to_owned(),
        ),
        LinkError::InvalidEmail => (
            Code::InvalidEmail,
            field("email"),
            format!(
                "Give one plain email address of at most {} characters; nothing was made.",
                links::MAX_EMAIL_LEN
            ),
        ),
        LinkError::Note(NoteError::TooLong) => (
            Code::NoteInvalid,
            field("note"),
            format!("The note is longer than {MAX_NOTE_CHARS} characters; nothing was made."),
        ),
        LinkError::Note(NoteError::ControlCharacter) => (
            Code::NoteInvalid,
            field("note"),
            "The note contains a control or text-direction character; nothing was made.".to_owned(),
        ),
        LinkError::LifetimeOutOfRange => (
            Code::ExpiresInOutOfRange,
            field("expiresIn"),
            "A link works for one hour (3600) to seven days (604800 seconds); nothing was made."
                .to_owned(),
        ),
        LinkError::NotOpen => (
            Code::LinkNotOpen,
            None,
            "This link is used, revoked or expired already; nothing changed.".to_owned(),
        ),
    };
    Ok(UserError {
        code,
        field,
        message,
    })
}

/// The viewer may see the account of the reconnect link the id names.
pub struct MayViewLink<'a>(pub &'a ID);

impl Guard for MayViewLink<'_> {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let id = ids::decode_as(Kind::ReconnectLink, self.0).ok_or(ApiError::NotFound)?;
            let link = links::repo::by_id(database(ctx)?, id)
                .await?
                .ok_or(ApiError::NotFound)?;
            accounts::repo::find_visible(database(ctx)?, &viewer.subject, link.social_account_id)
                .await?
                .map(drop)
                .ok_or(ApiError::NotFound)
        }
        .await)
    }
}

/// Reading reconnect links.
#[derive(Default)]
pub struct LinksQuery;

#[Object]
impl LinksQuery {
    /// The reconnect links of an account, newest first (at most 100), for those who may reconnect
    /// it (R3, R8; `FORBIDDEN` for anyone else who sees it).
    #[graphql(guard = "MayView(&social_account_id)")]
    async fn reconnect_links(
        &self,
        ctx: &Context<'_>,
        social_account_id: ID,
    ) -> async_graphql::Result<Vec<ReconnectLink>> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = ids::decode_as(Kind::SocialAccount, &social_account_id)
                .ok_or(ApiError::NotFound)?;
            match manage::list(app(ctx)?, &viewer.subject, account).await {
                Ok(found) => Ok(found.into_iter().map(ReconnectLink).collect()),
                Err(LinkError::NotAllowed) => Err(ApiError::Forbidden),
                Err(LinkError::Internal(cause)) => Err(ApiError::Internal(cause)),
                Err(_) => Err(ApiError::NotFound),
            }
        }
        .await)
    }
}

/// Making and revoking reconnect links.
#[derive(Default)]
pub struct LinksMutation;

#[Object]
impl LinksMutation {
    /// Makes a single-use link (`url`) that lets whoever holds the account's network login
    /// reconnect it and, by R7, every account of that login, without a dashboard seat; with
    /// `email`, sends it there. For those who may reconnect the account (R3, R8).
    #[graphql(guard = "MayView(&input.social_account_id)")]
    async fn create_reconnect_link(
        &self,
        ctx: &Context<'_>,
        input: CreateReconnectLinkInput,
    ) -> async_graphql::Result<CreateReconnectLinkPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = ids::decode_as(Kind::SocialAccount, &input.social_account_id)
                .ok_or(ApiError::NotFound)?;
            let request = manage::LinkRequest {
                account_id: account,
                email: input.email.as_deref(),
                note: input.note.as_deref(),
                expires_in_seconds: input.expires_in,
            };
            match manage::create(app(ctx)?, &viewer.user, &viewer.subject, request).await {
                Ok(created) => Ok(CreateReconnectLinkPayload {
                    url: Some(created.url.expose().to_owned()),
                    emailed: created.emailed,
                    reconnect_link: Some(ReconnectLink(created.link)),
                    user_errors: Vec::new(),
                }),
                Err(error) => Ok(CreateReconnectLinkPayload {
                    user_errors: vec![user_error(error)?],
                    ..Default::default()
                }),
            }
        }
        .await)
    }

    /// Revokes an open link: it answers 410 from now on. For those who may reconnect its account.
    #[graphql(guard = "MayViewLink(&input.id)")]
    async fn revoke_reconnect_link(
        &self,
        ctx: &Context<'_>,
        input: RevokeReconnectLinkInput,
    ) -> async_graphql::Result<RevokeReconnectLinkPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let id = ids::decode_as(Kind::ReconnectLink, &input.id).ok_or(ApiError::NotFound)?;
            match manage::revoke(app(ctx)?, &viewer.subject, id).await {
                Ok(link) => Ok(RevokeReconnectLinkPayload {
                    reconnect_link: Some(ReconnectLink(link)),
                    user_errors: Vec::new(),
                }),
                Err(error) => Ok(RevokeReconnectLinkPayload {
                    user_errors: vec![user_error(error)?],
                    ..Default::default()
                }),
            }
        }
        .await)
    }
}
