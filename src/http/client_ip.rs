//! Who the client is, for the limits of anonymous traffic: the peer's address, or, when the peer
//! is one of `RELINK_TRUSTED_PROXIES`, the address its `X-Forwarded-For` names. A header from
//! anyone else is ignored: a client cannot pick its own bucket.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request},
    http::{HeaderMap, request::Parts},
};

use super::HttpState;

/// The client's address, as an extractor.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<HttpState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &HttpState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        Ok(Self(resolve(
            peer.unwrap_or(IpAddr::from([0, 0, 0, 0])),
            &parts.headers,
            &state.app.config.trusted_proxies,
        )))
    }
}

/// The client of `request`, or the unspecified address when the server was started without
/// peer addresses (never in `App`).
pub fn of_request(request: &Request, trusted: &[IpAddr]) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    resolve(
        peer.unwrap_or(IpAddr::from([0, 0, 0, 0])),
        request.headers(),
        trusted,
    )
}

/// The client behind `peer`: walking `X-Forwarded-For` from the right, past every trusted proxy,
/// the first address that is not one. Only a trusted peer's header counts.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(text) = value.to_str() else {
            return client;
        };
        for hop in text.rsplit(',') {
            let Ok(address) = hop.trim().parse::<IpAddr>() else {
                return client;
            };
            client = address;
            if !trusted.contains(&address) {
                return client;
            }
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().expect("header"));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let trusted = [ip("10.0.0.5"), ip("10.0.0.6")];
        let forwarded = headers(&["203.0.113.9, 10.0.0.6"]);
        // A direct client's own header is ignored.
        assert_eq!(
            resolve(ip("198.51.100.1"), &forwarded, &trusted),
            ip("198.51.100.1")
        );
        // Through two trusted proxies: the first untrusted address from the right.
        assert_eq!(
            resolve(ip("10.0.0.5"), &forwarded, &trusted),
            ip("203.0.113.9")
        );
        // A client that prepends a fake address gets the one the proxy saw.
        let spoofed = headers(&["1.2.3.4, 203.0.113.9"]);
        assert_eq!(
            resolve(ip("10.0.0.5"), &spoofed, &trusted),
            ip("203.0.113.9")
        );
        // Several headers read as one list; garbage stops the walk at what is known.
        let split = headers(&["1.2.3.4", "203.0.113.7"]);
        assert_eq!(resolve(ip("10.0.0.5"), &split, &trusted), ip("203.0.113.7"));
        let garbage = headers(&["not-an-ip"]);
        assert_eq!(resolve(ip("10.0.0.5"), &garbage, &trusted), ip("10.0.0.5"));
        assert_eq!(
            resolve(ip("10.0.0.5"), &HeaderMap::new(), &trusted),
            ip("10.0.0.5")
        );
    }
}
