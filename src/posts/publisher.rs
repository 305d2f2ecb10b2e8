//! The publisher (B4): sends due posts of accounts that can publish, each exactly once. A post is
//! claimed (state `PUBLISHING` and a lease, recorded before the network is called), sent with its
//! idempotency key, and its outcome recorded after. A crash at any point leaves the post
//! `PUBLISHING` with a lease that runs out; the next attempt sends the same key, and the network
//! answers with the post it already has. Posts of accounts that cannot publish are held, never
//! failed; an auth error from the network disconnects the login through the keeper's path.

use chrono::{DateTime, Utc};
use entity::{enums::DisconnectReason, scheduled_posts, social_accounts, social_logins};
use sea_orm::EntityTrait as _;

use super::{publishable, repo};
use crate::{
    accounts::{disconnect, status::record_account_event},
    app::App,
    keeper::backoff,
};

/// What one attempt at one post did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Another worker took it first.
    Taken,
    /// Published (or found already published by the network, after a crash).
    Published,
    /// Its account cannot publish: held.
    Held,
    /// The network rejected the login: disconnected, the post held with the others.
    Disconnected,
    /// The network was unavailable: tried again later.
    Deferred,
    /// The network refused the post itself.
    Failed,
}

/// The publisher of one process.
#[derive(Clone)]
pub struct Publisher {
    app: App,
}

impl Publisher {
    /// A publisher over the context.
    pub fn new(app: App) -> Self {
        Self { app }
    }

    /// One pass: every due post, oldest scheduled time first (a released backlog goes out in
    /// order). Returns what happened to each post it looked at.
    pub async fn run_once(&self) -> anyhow::Result<Vec<(i64, Attempt)>> {
        let mut outcomes = Vec::new();
        loop {
            let now = self.app.clock.now();
            let due = repo::due(&self.app.db, now, 50).await?;
            if due.is_empty() {
                break;
            }
            let mut progressed = false;
            for post in due {
                let attempt = self.attempt(&post, now).await?;
                progressed |= attempt != Attempt::Taken;
                outcomes.push((post.id, attempt));
            }
            if !progressed {
                break;
            }
        }
        Ok(outcomes)
    }

    /// Claims one post and sends it.
    pub async fn attempt(
        &self,
        post: &scheduled_posts::Model,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Attempt> {
        if !repo::claim(
            &self.app.db,
            post,
            now,
            crate::clock::after(now, self.app.settings.posts.lease),
        )
        .await?
        {
            return Ok(Attempt::Taken);
        }
        let account = social_accounts::Entity::find_by_id(post.social_account_id)
            .one(&self.app.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("post {} without its account", post.id))?;
        let login = social_logins::Entity::find_by_id(account.social_login_id)
            .one(&self.app.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("account {} without its login", account.id))?;
        let usable = match (
            publishable(account.health),
            self.app.cipher.access_token(&login)?,
            self.app.networks.get(account.network),
        ) {
            (true, Some(token), Some(adapter)) => Some((token, adapter)),
            _ => None,
        };
        let Some((token, adapter)) = usable else {
            // Cannot publish (or no token to publish with): hold it with its account's others.
            let txn = self.app.begin().await?;
            super::hold_account(&txn, account.id, now).await?;
            self.app.commit(txn).await?;
            return Ok(Attempt::Held);
        };
        let result = adapter
            .publish(
                &token,
                &account.external_id,
                &post.body,
                &post.idempotency_key,
            )
            .await;
        match crate::incidents::judge(&self.app, login.network, login.id, result).await? {
            Ok(external_id) => {
                let now = self.app.clock.now();
                let txn = self.app.begin().await?;
                if repo::published(&txn, post.id, &external_id, now).await? == 1 {
                    record_account_event(
                        &txn,
                        &account,
                        "post.published",
                        "POST_PUBLISHED",
                        None,
                        serde_json::json!({ "postId": post.id, "externalPostId": external_id }),
                        now,
                    )
                    .await?;
                }
                self.app.commit(txn).await?;
                Ok(Attempt::Published)
            }
            Err(error) if error.disconnect_reason().is_some() => {
                let reason = error
                    .disconnect_reason()
                    .unwrap_or(DisconnectReason::Unknown);
                tracing::warn!(post.id = post.id, %error, "the network ended the sign-in while publishing");
                // The keeper's path: the login and all its accounts, once; their posts are held.
                disconnect::disconnect_login(
                    &self.app,
                    login.id,
                    reason,
                    None,
                    Some(login.version),
                    now,
                )
                .await?;
                let txn = self.app.begin().await?;
                super::hold_account(&txn, account.id, now).await?;
                self.app.commit(txn).await?;
                Ok(Attempt::Disconnected)
            }
            Err(error) if error.is_transient() => {
                let reason = error.to_string();
                tracing::warn!(post.id = post.id, %reason, "publishing failed for now; backing off");
                repo::defer(
                    &self.app.db,
                    post.id,
                    crate::clock::after(now, backoff(post.attempts)),
                    now,
                )
                .await?;
                Ok(Attempt::Deferred)
            }
            Err(error) => {
                let reason = error.to_string();
                tracing::warn!(post.id = post.id, %reason, "the network refused the post");
                repo::failed(&self.app.db, post.id, &reason, now).await?;
                Ok(Attempt::Failed)
            }
        }
    }
}
