//! Token lifetimes per sandbox network, copied from how each real network behaves.

use chrono::Duration;
use entity::enums::Network;

/// How long a network's tokens live and whether its refresh tokens rotate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Lifetime of an access token.
    pub access: Duration,
    /// The refresh token, if the network issues one at all.
    pub refresh: Option<RefreshPolicy>,
}

/// How a network's refresh tokens behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Lifetime of a refresh token; `None` never expires.
    pub lifetime: Option<Duration>,
    /// Whether each refresh returns a new refresh token and invalidates the used one.
    pub rotates: bool,
}

/// The token behaviour of `network`.
pub fn policy(network: Network) -> TokenPolicy {
    match network {
        // Facebook and Instagram hand out 60-day long-lived user tokens and no refresh token:
        // when one runs out, the person has to sign in again.
        Network::Facebook | Network::Instagram => TokenPolicy {
            access: Duration::days(60),
            refresh: None,
        },
        // LinkedIn: 60-day access tokens, a 365-day refresh token that stays the same.
        Network::Linkedin => TokenPolicy {
            access: Duration::days(60),
            refresh: Some(RefreshPolicy {
                lifetime: Some(Duration::days(365)),
                rotates: false,
            }),
        },
        // Google (YouTube): 1-hour access tokens, a refresh token that does not expire by time.
        Network::Youtube => TokenPolicy {
            access: Duration::hours(1),
            refresh: Some(RefreshPolicy {
                lifetime: None,
                rotates: false,
            }),
        },
        // X, TikTok and Pinterest: 2-hour access tokens and a refresh token that is replaced on
        // every refresh; the used one stops working.
        Network::X | Network::Tiktok | Network::Pinterest => TokenPolicy {
            access: Duration::hours(2),
            refresh: Some(RefreshPolicy {
                lifetime: Some(Duration::days(180)),
                rotates: true,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facebook_has_no_refresh_token() {
        assert_eq!(policy(Network::Facebook).refresh, None);
        assert_eq!(policy(Network::Instagram).access, Duration::days(60));
    }

    #[test]
    fn only_x_tiktok_and_pinterest_rotate() {
        for network in [Network::X, Network::Tiktok, Network::Pinterest] {
            assert!(
                policy(network)
                    .refresh
                    .is_some_and(|refresh| refresh.rotates)
            );
        }
        for network in [Network::Linkedin, Network::Youtube] {
            assert!(
                policy(network)
                    .refresh
                    .is_some_and(|refresh| !refresh.rotates)
            );
        }
    }

    #[test]
    fn youtube_refresh_token_never_expires() {
        assert_eq!(
            policy(Network::Youtube)
                .refresh
                .and_then(|refresh| refresh.lifetime),
            None
        );
    }
}
