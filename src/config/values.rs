//! The kinds of values settings hold: secrets redacted in `Debug`, a database URL without its
//! password in `Debug`, durations like `15m`, the metrics address or `off`.

use std::{net::SocketAddr, str::FromStr, time::Duration};

use clap::ValueEnum;

/// A secret value: usable by the code, printed as `[redacted]` by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used, never to print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// A database URL, which may carry a password, so it is redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keep the scheme and host for operators; drop user info.
        let shown = match self.0.split_once("://") {
            Some((scheme, rest)) => {
                let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                format!("{scheme}://{host}")
            }
            None => "[redacted]".to_owned(),
        };
        f.write_str(&shown)
    }
}

impl FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Whether the built-in sandbox network is served and used (B9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SandboxMode {
    /// On with the embedded database, off with `DATABASE_URL`.
    Auto,
    /// Always on.
    On,
    /// Always off.
    Off,
}

/// Where the metrics listener binds, or nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsAddr(pub Option<SocketAddr>);

/// Parses `RELINK_METRICS_ADDR`: an address, or `off`.
pub fn parse_metrics_addr(text: &str) -> Result<MetricsAddr, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(MetricsAddr(None));
    }
    text.trim()
        .parse()
        .map(|addr| MetricsAddr(Some(addr)))
        .map_err(|_| format!("`{text}` is not an address like 127.0.0.1:9464, or `off`"))
}

/// Parses durations like `90s`, `15m`, `12h`, `7d` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 15m, 12h or 7d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use s, m, h or d)"
            ));
        }
    };
    // Ten years is longer than any interval, margin or grace needs, and keeps every sum with a
    // date far inside what dates and timers can hold.
    const MAX_SECONDS: u64 = 3_650 * 86_400;
    number
        .checked_mul(seconds)
        .filter(|total| *total <= MAX_SECONDS)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long: at most 3650d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert!(parse_duration("12 parsecs").is_err());
        assert!(parse_duration("h").is_err());
        // Past ten years, a sum with a date or a timer could overflow: refused at start.
        assert_eq!(
            parse_duration("3650d"),
            Ok(Duration::from_secs(3_650 * 86_400))
        );
        assert!(parse_duration("3651d").is_err());
        assert!(parse_duration("18446744073709551615").is_err());
    }

    #[test]
    fn secrets_and_database_passwords_are_redacted_in_debug() {
        let secret = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let url = DatabaseUrl("postgres://app:s3cret@db.internal:5432/relink".to_owned());
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
    }
}
