//! Mail delivery over SMTP with lettre. `smtp://host:port` is plain SMTP (a local sink such as
//! MailHog or the tests' own), `smtp://host:port?tls=required` uses STARTTLS and
//! `smtps://host:port` implicit TLS (rustls, web PKI roots); `user:password@` authenticates.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Timeout of one SMTP conversation.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a delivery failed, and whether retrying can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    /// The server refused for good (5xx) or the message cannot be built: don't retry.
    pub permanent: bool,
}

/// A configured SMTP relay and sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The URL without credentials, for logs.
    shown: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("relay", &self.shown)
            .finish()
    }
}

impl Mailer {
    /// Checks the URL and the sender address now, so a bad flag stops start-up.
    pub fn new(url: &url::Url, from: &str) -> Result<Self, String> {
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(format!(
                "--smtp '{}' must be an smtp:// or smtps:// URL",
                redacted(url)
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("--smtp '{}' has no host", redacted(url)));
        }
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("--smtp-from '{from}' is not a mail address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())
            .map_err(|e| format!("--smtp '{}': {e}", redacted(url)))?
            .hello_name(ClientId::Domain("localhost".into()))
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Self {
            transport,
            from,
            shown: redacted(url),
        })
    }

    /// The relay URL without credentials.
    pub fn relay(&self) -> &str {
        &self.shown
    }

    /// Sends one plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), SendError> {
        let to: Mailbox = to.parse().map_err(|e| SendError {
            message: format!("'{to}' is not a mail address: {e}"),
            permanent: true,
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| SendError {
                message: format!("cannot build the message: {e}"),
                permanent: true,
            })?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(SendError {
                message: e.to_string(),
                permanent: e.is_permanent(),
            }),
        }
    }
}

/// The URL with any password replaced, safe for logs and errors.
fn redacted(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_at_start() {
        let ok = url::Url::parse("smtp://127.0.0.1:2525").unwrap();
        assert!(Mailer::new(&ok, "vault@localhost").is_ok());
        let tls = url::Url::parse("smtp://mail.example:587?tls=required").unwrap();
        assert!(Mailer::new(&tls, "Vault <vault@localhost>").is_ok());
        let http = url::Url::parse("http://127.0.0.1:2525").unwrap();
        assert!(Mailer::new(&http, "vault@localhost")
            .unwrap_err()
            .contains("smtp://"));
        assert!(Mailer::new(&ok, "not an address")
            .unwrap_err()
            .contains("--smtp-from"));
        let secret = url::Url::parse("smtp://user:hunter2@127.0.0.1:2525").unwrap();
        assert!(!Mailer::new(&secret, "vault@localhost")
            .unwrap()
            .relay()
            .contains("hunter2"));
    }
}
