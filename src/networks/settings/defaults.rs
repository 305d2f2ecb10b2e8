//! What each network is asked for when the networks file does not say: documented endpoints,
//! API versions, and the permissions Relink needs (live) or the sandbox plays (sandbox).

use entity::enums::Network;

/// The API version each network is spoken in unless the file names another.
pub fn default_version(network: Network) -> Option<&'static str> {
    match network {
        // "Latest Graph API Version: v25.0" (developers.facebook.com, Nov 2026).
        Network::Facebook | Network::Instagram => Some("v25.0"),
        // `LinkedIn-Version: YYYYMM`; LinkedIn supports each version for a year.
        Network::Linkedin => Some("202610"),
        Network::X | Network::Youtube | Network::Tiktok | Network::Pinterest => None,
    }
}

pub(super) struct Endpoints {
    pub(super) authorize: String,
    pub(super) token: String,
    pub(super) revoke: Option<String>,
    pub(super) api: String,
}

/// The endpoints each network documents for apps like Relink's.
pub(super) fn live_endpoints(
    network: Network,
    version: Option<&str>,
    instagram_login: bool,
) -> Endpoints {
    let graph = |version: Option<&str>| {
        let version = version.unwrap_or("v25.0");
        Endpoints {
            authorize: format!("https://www.facebook.com/{version}/dialog/oauth"),
            token: format!("https://graph.facebook.com/{version}/oauth/access_token"),
            revoke: None,
            api: format!("https://graph.facebook.com/{version}"),
        }
    };
    let fixed = |authorize: &str, token: &str, revoke: Option<&str>, api: &str| Endpoints {
        authorize: authorize.to_owned(),
        token: token.to_owned(),
        revoke: revoke.map(str::to_owned),
        api: api.to_owned(),
    };
    match network {
        Network::Facebook => graph(version),
        Network::Instagram if instagram_login => fixed(
            "https://www.instagram.com/oauth/authorize",
            "https://api.instagram.com/oauth/access_token",
            None,
            "https://graph.instagram.com",
        ),
        Network::Instagram => graph(version),
        Network::Linkedin => fixed(
            "https://www.linkedin.com/oauth/v2/authorization",
            "https://www.linkedin.com/oauth/v2/accessToken",
            Some("https://www.linkedin.com/oauth/v2/revoke"),
            "https://api.linkedin.com",
        ),
        Network::X => fixed(
            "https://x.com/i/oauth2/authorize",
            "https://api.x.com/2/oauth2/token",
            Some("https://api.x.com/2/oauth2/revoke"),
            "https://api.x.com/2",
        ),
        Network::Youtube => fixed(
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            Some("https://oauth2.googleapis.com/revoke"),
            "https://www.googleapis.com",
        ),
        Network::Tiktok => fixed(
            "https://www.tiktok.com/v2/auth/authorize/",
            "https://open.tiktokapis.com/v2/oauth/token/",
            Some("https://open.tiktokapis.com/v2/oauth/revoke/"),
            "https://open.tiktokapis.com/v2",
        ),
        Network::Pinterest => fixed(
            "https://www.pinterest.com/oauth/",
            "https://api.pinterest.com/v5/oauth/token",
            None,
            "https://api.pinterest.com/v5",
        ),
    }
}

/// The permissions Relink asks a live network for, each needed by a call the adapter makes (the
/// README's "Connecting real networks" says which). Facebook's group permissions are gone with
/// the Groups API (April 2024).
pub fn live_scopes(network: Network, instagram_login: bool) -> &'static [&'static str] {
    match network {
        Network::Facebook => &[
            "pages_show_list",
            "pages_manage_posts",
            "pages_read_engagement",
        ],
        Network::Instagram if instagram_login => &[
            "instagram_business_basic",
            "instagram_business_content_publish",
        ],
        Network::Instagram => &[
            "instagram_basic",
            "instagram_content_publish",
            "pages_show_list",
            "pages_read_engagement",
        ],
        Network::Linkedin => &[
            "openid",
            "profile",
            "w_member_social",
            "r_organization_admin",
            "w_organization_social",
        ],
        Network::X => &["tweet.read", "tweet.write", "users.read", "offline.access"],
        Network::Youtube => &[
            "https://www.googleapis.com/auth/youtube.readonly",
            "https://www.googleapis.com/auth/youtube.upload",
        ],
        // `video.list` feeds a stream; `video.publish` is Direct Post.
        Network::Tiktok => &["user.info.basic", "video.list", "video.publish"],
        // `pins:read` feeds a board's stream (`/boards/{id}/pins`).
        Network::Pinterest => &[
            "user_accounts:read",
            "boards:read",
            "pins:read",
            "pins:write",
        ],
    }
}

/// The permissions Relink asks the sandbox for, per network (as the real apps would, with the
/// sandbox's groups).
pub fn default_scopes(network: Network) -> &'static [&'static str] {
    match network {
        Network::Facebook => &[
            "pages_show_list",
            "pages_manage_posts",
            "pages_read_engagement",
            "groups_access_member_info",
        ],
        Network::Instagram => &[
            "instagram_basic",
            "instagram_content_publish",
            "pages_show_list",
        ],
        Network::Linkedin => &[
            "w_member_social",
            "w_organization_social",
            "r_organization_admin",
        ],
        Network::X => &["tweet.read", "tweet.write", "users.read", "offline.access"],
        Network::Youtube => &["youtube.upload", "youtube.readonly"],
        Network::Tiktok => &["user.info.basic", "video.publish"],
        Network::Pinterest => &["pins:write", "boards:read"],
    }
}
