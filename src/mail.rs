//! Sending email (R12): SMTP when `SMTP_URL` is set, otherwise `.eml` files in the data folder's
//! outbox (and a log line), so the demo shows what would be sent.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context as _;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor, message::Mailbox};

use crate::{config::Config, metrics::Meters};

/// One email to send.
#[derive(Clone, Debug)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Recipient name.
    pub to_name: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Sends Relink's emails, counting them.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    meters: Meters,
}

/// Where emails go.
#[derive(Clone)]
enum Transport {
    /// An SMTP server.
    Smtp(Arc<AsyncSmtpTransport<Tokio1Executor>>),
    /// `.eml` files in a folder.
    Files(PathBuf),
}

/// `smtp://[user:password@]host[:port]`. TLS-wrapped SMTP needs a TLS backend this build does not
/// carry; a relay on the same network, or a local MTA, takes plain SMTP.
fn smtp_transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let parsed = reqwest::Url::parse(url).context("SMTP_URL is not a URL")?;
    anyhow::ensure!(
        parsed.scheme() == "smtp",
        "SMTP_URL must start with smtp://"
    );
    let host = parsed.host_str().context("SMTP_URL has no host")?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(parsed.port().unwrap_or(25));
    if !parsed.username().is_empty() {
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
            parsed.username().to_owned(),
            parsed.password().unwrap_or_default().to_owned(),
        ));
    }
    Ok(builder.build())
}

impl Mailer {
    /// SMTP from `SMTP_URL`, else the outbox folder in the data folder.
    pub fn from_config(config: &Config, meters: Meters) -> anyhow::Result<Self> {
        let from: Mailbox = config.email_from.parse().with_context(|| {
            format!(
                "RELINK_EMAIL_FROM: `{}` is not an address",
                config.email_from
            )
        })?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(Arc::new(smtp_transport(url.expose())?)),
            None => Transport::Files(config.data_dir.join("outbox")),
        };
        Ok(Self {
            transport,
            from,
            meters,
        })
    }

    /// Sends one email.
    pub async fn send(&self, email: &Email) -> anyhow::Result<()> {
        let sent = self.deliver(email).await;
        self.meters.email(sent.is_ok());
        sent
    }

    async fn deliver(&self, email: &Email) -> anyhow::Result<()> {
        let to: Mailbox = format!(
            "{} <{}>",
            email.to_name.replace(['<', '>', '"'], ""),
            email.to
        )
        .parse()
        .with_context(|| format!("recipient address {}", email.to))?;
        let from = &self.from;
        let text = wrap(&email.body, 76);
        let builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&email.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN);
        // 8bit keeps the text readable in the outbox and in mail clients' source views; lines too
        // long for it (a long link) fall back to quoted-printable.
        let message = match lettre::message::Body::new_with_encoding(
            text.clone(),
            lettre::message::header::ContentTransferEncoding::EightBit,
        ) {
            Ok(body) => builder.body(body),
            Err(_) => builder.body(text),
        }
        .context("building the message")?;
        match &self.transport {
            Transport::Smtp(transport) => {
                transport.send(message).await.context("SMTP delivery")?;
            }
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .context("creating the outbox folder")?;
                let name = format!(
                    "{}-{:08x}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
                    rand::random::<u32>()
                );
                let path = dir.join(name);
                tokio::fs::write(&path, message.formatted())
                    .await
                    .context("writing to the outbox")?;
                tracing::info!(path = %path.display(), subject = %email.subject, "email written to the outbox (no SMTP_URL)");
            }
        }
        Ok(())
    }
}

/// The most spaces a wrapped line is indented by, whatever the text's own indent: the indent is
/// repeated on every continuation line, so an uncapped one grows the text by its own size per word.
const MAX_INDENT: usize = 8;

/// Wraps lines longer than `width` characters at spaces (`textwrap`, first fit: linear, and
/// never inside a word, so a link stays whole), so the text fits the transfer encoding; a
/// wrapped list item continues under its text, a wrapped quote (`> `) stays quoted. The indent
/// of a line is capped at [`MAX_INDENT`] (and a quarter of the width), so a continuation line
/// adds at most that many bytes whatever the text's own indent.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + 16);
    for line in text.lines() {
        let body = line.trim_start();
        // Indents take at most a quarter of the width, so wrapping never outgrows the text.
        let limit = MAX_INDENT.min(width / 4);
        let indent = " ".repeat((line.len() - body.len()).min(limit));
        let mut continuation = if body.starts_with("> ") {
            format!("{indent}> ")
        } else if body.starts_with("- ") {
            format!("{indent}  ")
        } else {
            indent.clone()
        };
        continuation.truncate(width / 4);
        let options = textwrap::Options::new(width.max(1))
            .initial_indent(&indent)
            .subsequent_indent(&continuation)
            .break_words(false)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
        if !body.is_empty() {
            for piece in textwrap::wrap(body, &options) {
                out.push_str(&piece);
                out.push('\n');
            }
        } else {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_lines_wrap_at_spaces_and_short_ones_stay() {
        let wrapped = wrap(
            "short\n- a long line with many words that goes on and on past the width",
            30,
        );
        assert!(
            wrapped.lines().all(|line| line.chars().count() <= 30),
            "{wrapped}"
        );
        assert!(wrapped.starts_with("short\n- a long line"), "{wrapped}");
        let quoted = wrap(
            "> a quoted note that is long enough to be wrapped twice over",
            20,
        );
        assert!(
            quoted.lines().all(|line| line.starts_with("> ")),
            "{quoted}"
        );
    }

    #[test]
    fn a_link_longer_than_the_width_stays_whole_on_its_line() {
        let link = format!(
            "https://relink.example/dashboard#/reauth?{}",
            "x".repeat(80)
        );
        let wrapped = wrap(&format!("Reconnect it here: {link} today"), 40);
        assert!(wrapped.lines().any(|line| line == link), "{wrapped}");
    }

    #[test]
    fn a_huge_indent_is_capped_and_not_repeated_per_word() {
        // The note that once asked for ~125 GB: half a million spaces, then 250,000 words.
        let text = format!("{}{}", " ".repeat(500_000), "w ".repeat(250_000));
        let wrapped = wrap(&text, 76);
        assert!(wrapped.len() <= 2 * text.len(), "{} bytes", wrapped.len());
        assert!(wrapped.lines().all(|line| line.len() <= 76));
    }

    #[test]
    fn the_output_is_at_most_twice_the_input_plus_a_width_per_line() {
        use rand::{Rng as _, SeedableRng as _, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(7);
        let pieces = [
            "",
            " ",
            "  ",
            "- ",
            "> ",
            "\n",
            "word",
            "a",
            "longerwordthanmost",
            "\t",
        ];
        for _ in 0..2_000 {
            let count = rng.random_range(0..200);
            let text: String = (0..count)
                .map(|_| {
                    let piece = pieces[rng.random_range(0..pieces.len())];
                    if piece == "  " {
                        " ".repeat(rng.random_range(0..300))
                    } else {
                        piece.to_owned()
                    }
                })
                .collect();
            let width = rng.random_range(1..100);
            let wrapped = wrap(&text, width);
            let lines = text.lines().count().max(1);
            assert!(
                wrapped.len() <= 2 * text.len() + width * lines,
                "{} > 2 × {} + {width} × {lines} for {text:?}",
                wrapped.len(),
                text.len()
            );
        }
    }
}
