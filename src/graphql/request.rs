//! `requestReconnect`: someone who may not reconnect an account asks those who may (R4, R12).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::events;
use sea_orm::{ActiveModelTrait as _, NotSet, Set};

use super::{
    accounts::account_for_viewer,
    context::{clock, database, events_committed, service, viewer},
    errors::{ApiError, gql},
    guards::Authenticated,
    people::User,
};
use crate::{
    access::{self, Action, Owner},
    accounts::{self, network_label},
    audit,
    mail::{Email, Mailer},
    notices::REAUTH_PATH,
};

/// Which account to ask about.
#[derive(InputObject)]
pub struct RequestReconnectInput {
    /// The account.
    pub social_account_id: ID,
    /// A note for the people asked.
    pub message: Option<String>,
}

/// Who was asked.
#[derive(SimpleObject, Default)]
pub struct RequestReconnectPayload {
    /// The people who may reconnect the account and were emailed.
    pub asked: Vec<User>,
}

/// The mutation.
#[derive(Default)]
pub struct RequestMutation;

#[Object]
impl RequestMutation {
    /// Emails everyone who sees the account and may reconnect it (admins, ADVANCED or OWNER on it or
    /// on another account of its login, R3/R8), and records an event and an audit entry.
    #[graphql(guard = "Authenticated")]
    async fn request_reconnect(
        &self,
        ctx: &Context<'_>,
        input: RequestReconnectInput,
    ) -> async_graphql::Result<RequestReconnectPayload> {
        gql(async {
            let viewer = viewer(ctx).await?;
            let account = account_for_viewer(ctx, &input.social_account_id).await?.0;
            let db = database(ctx)?;
            let now = clock(ctx)?.now();
            let owner = Owner::from_columns(account.owner_organization_id, account.owner_user_id)
                .ok_or(ApiError::NotFound)?;
            let siblings = accounts::repo::account_owners_by_login(db, &[account.social_login_id])
                .await?
                .remove(&account.social_login_id)
                .unwrap_or_default();
            let mut asked = Vec::new();
            for user_id in accounts::repo::viewers_of(db, &account).await? {
                if user_id == viewer.user.id {
                    continue;
                }
                let subject = accounts::repo::load_subject(db, user_id).await?;
                let may = access::may(&subject, account.id, owner, Action::Reconnect)
                    || access::may_reconnect_login(&subject, siblings.iter().copied());
                if may {
                    asked.extend(crate::people::repo::users_by_ids(db, &[user_id]).await?.into_values());
                }
            }
            asked.sort_by_key(|user| user.id);
            let mailer = service::<Mailer>(ctx)?;
            let public_url = service::<std::sync::Arc<str>>(ctx)?;
            let note = input.message.as_deref().map(str::trim).filter(|note| !note.is_empty());
            for user in &asked {
                let mut body = format!(
                    "Hello {},\n\n{} asks you to reconnect {} ({}), which you may reconnect.\n",
                    user.name,
                    viewer.user.name,
                    account.name,
                    network_label(account.network)
                );
                if let Some(note) = note {
                    body.push_str(&format!("\nTheir note: {note}\n"));
                }
                body.push_str(&format!("\nReconnect it here: {public_url}{REAUTH_PATH}\n"));
                let email = Email {
                    to: user.email.clone(),
                    to_name: user.name.clone(),
                    subject: format!("Please reconnect {}", account.name),
                    body,
                };
                if let Err(error) = mailer.send(&email).await {
                    tracing::warn!(error = format!("{error:#}"), "reconnect request email not sent");
                }
            }
            let detail = serde_json::json!({ "asked": asked.iter().map(|user| user.id).collect::<Vec<_>>() });
            audit::record(
                db,
                audit::Entry {
                    organization_id: account.owner_organization_id,
                    actor_user_id: Some(viewer.user.id),
                    action: "account.reconnect_requested",
                    target_type: "social_account",
                    target_id: Some(account.id),
                    detail: detail.clone(),
                },
                now,
            )
            .await?;
            events::ActiveModel {
                id: NotSet,
                kind: Set("RECONNECT_REQUESTED".to_owned()),
                organization_id: Set(account.owner_organization_id),
                owner_user_id: Set(account.owner_user_id),
                social_account_id: Set(Some(account.id)),
                social_login_id: Set(Some(account.social_login_id)),
                payload: Set(detail),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
            events_committed(ctx);
            Ok(RequestReconnectPayload { asked: asked.into_iter().map(User::from).collect() })
        }
        .await)
    }
}
