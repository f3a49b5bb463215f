//! Notifications to the vault's certificate contacts (spec §4.7 contacts, §4.5 lifetime actions):
//! what is said ([`Event`]), the outbox rows that record it (one per contact, written by the
//! caller in the same transaction as the action that caused it), and the background delivery
//! of those rows over SMTP ([`smtp`]) with retries and back-off.
//!
//! Delivery never blocks the action: rows are written first and mailed later. Without `--smtp`
//! rows are recorded as `not_sent`; with no contacts set, one `no_recipients` row keeps the
//! action visible at `GET /_admin/notifications`.

pub mod smtp;

use crate::model::{key_of, Delivery, DeliveryStatus, NotificationKind, NotificationRecord};
use crate::store::{Change, Db, StoreError};
use shared::clock::Clock;
use shared::models::Contacts;
use std::sync::Arc;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Delivery attempts before a row is marked `failed`.
pub const MAX_ATTEMPTS: u32 = 10;
/// Longest wait between two attempts.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(600);
/// Longest sleep of the delivery loop when nothing is due (clock shifts are noticed by then).
const IDLE_SCAN: Duration = Duration::from_secs(30);
const BATCH: usize = 32;

/// Tunables of notifications, resolved from `Config`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How the vault names itself in mails: `--public-url`, else its listening URL.
    pub vault_url: String,
    /// `--smtp`: where mail goes; `None` records notifications without sending them.
    pub smtp: Option<url::Url>,
    /// `--smtp-from`.
    pub from: String,
    /// `--smtp-retry`: the first wait after a failed attempt (doubles per attempt, ≤ 10 min).
    pub retry: Duration,
}

/// What happened to a certificate version, in the terms a contact needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An `EmailContacts` trigger came due; `trigger` describes it.
    Expiring { trigger: String },
    /// The notice after an import.
    Imported,
    /// `AutoRenew` completed.
    Renewed {
        new_version: String,
        new_exp: Option<i64>,
        issuer: String,
        key_reused: bool,
        /// The new version was already past its own AutoRenew trigger when it arrived (its
        /// CA's clock disagrees with vault's): it will not be renewed automatically.
        already_due: bool,
    },
    /// `AutoRenew` did not produce a version.
    RenewalFailed { issuer: String, reason: String },
}

/// The certificate version a notification is about.
#[derive(Debug, Clone, PartialEq)]
pub struct About {
    pub cert_key: String,
    pub certificate: String,
    pub version: String,
    pub exp: Option<i64>,
}

/// Records notifications and delivers them.
pub struct Notifier {
    db: Db,
    clock: Arc<dyn Clock>,
    /// Queued, delivered and failed notifications are timeline events.
    timeline: crate::timeline::Timeline,
    settings: Settings,
    mailer: Option<smtp::Mailer>,
    wake: Notify,
}

impl Notifier {
    /// Fails (for a clear start-up error) when the SMTP URL or sender cannot work.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        settings: Settings,
        timeline: crate::timeline::Timeline,
    ) -> Result<Arc<Self>, String> {
        let mailer = settings
            .smtp
            .as_ref()
            .map(|url| smtp::Mailer::new(url, &settings.from))
            .transpose()?;
        Ok(Arc::new(Self {
            db,
            clock,
            timeline,
            settings,
            mailer,
            wake: Notify::new(),
        }))
    }

    /// The relay in use (credentials hidden), if any.
    pub fn relay(&self) -> Option<&str> {
        self.mailer.as_ref().map(smtp::Mailer::relay)
    }

    /// Tells the delivery loop that rows were added (or the clock moved).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The outbox rows for `event` about `about`, one per contact. The caller writes them with
    /// the change that caused them and then calls [`Notifier::wake`].
    pub fn compose(
        &self,
        about: &About,
        event: &Event,
        contacts: Option<&Contacts>,
    ) -> Vec<Change> {
        let (kind, subject, body) = render(&self.settings.vault_url, about, event);
        let now = self.clock.unix();
        let now_ms = self.clock.unix_ms();
        let row = |recipient: Option<String>, status| NotificationRecord {
            id: 0,
            recipient,
            kind,
            cert_key: about.cert_key.clone(),
            certificate: about.certificate.clone(),
            version: about.version.clone(),
            created: now,
            subject: subject.clone(),
            body: body.clone(),
            status,
            attempts: 0,
            last_error: None,
            next_attempt_at: now_ms,
            sent_at: None,
        };
        let recipients = recipients(contacts);
        let queued = |to: Option<&str>| {
            self.timeline.record(
                &about.cert_key,
                None,
                crate::model::EventKind::NotificationQueued,
                serde_json::json!({ "to": to, "reason": kind.as_str(), "version": about.version }),
            )
        };
        if recipients.is_empty() {
            queued(None);
            return vec![Change::AddNotification(row(
                None,
                DeliveryStatus::NoRecipients,
            ))];
        }
        let status = if self.mailer.is_some() {
            DeliveryStatus::Pending
        } else {
            DeliveryStatus::NotSent
        };
        recipients
            .into_iter()
            .map(|r| {
                queued(Some(&r));
                Change::AddNotification(row(Some(r), status))
            })
            .collect()
    }

    /// Every outbox row, oldest first, optionally only those of one certificate.
    pub async fn list(
        &self,
        certificate: Option<&str>,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let wanted = certificate.map(key_of);
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let page = self.db.run(move |s| s.notifications(after, 1000)).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            out.extend(
                page.into_iter()
                    .filter(|n| wanted.as_ref().is_none_or(|w| &n.cert_key == w)),
            );
        }
        Ok(out)
    }

    /// The delivery loop; returns when `token` is cancelled. Idle without `--smtp`.
    pub async fn run(self: Arc<Self>, token: CancellationToken) {
        let Some(mailer) = self.mailer.clone() else {
            info!("notifications are recorded only (no --smtp): outbox rows stay not_sent");
            return;
        };
        info!(smtp = mailer.relay(), "notification delivery started");
        loop {
            let now_ms = self.clock.unix_ms();
            let due = match self
                .db
                .run(move |s| s.due_notifications(now_ms, BATCH))
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    warn!(error = %e, "cannot read due notifications; retrying");
                    Vec::new()
                }
            };
            let busy = due.len() == BATCH;
            for row in due {
                if token.is_cancelled() {
                    break;
                }
                self.deliver(&mailer, row).await;
            }
            let sleep = if busy {
                Duration::ZERO
            } else {
                match self.db.run(|s| s.next_notification_due()).await {
                    Ok(Some(next)) => {
                        let ms =
                            (next - self.clock.unix_ms()).clamp(0, IDLE_SCAN.as_millis() as i64);
                        Duration::from_millis(ms as u64)
                    }
                    _ => IDLE_SCAN,
                }
            };
            tokio::select! {
                _ = token.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        info!("notification delivery stopped");
    }

    async fn deliver(&self, mailer: &smtp::Mailer, row: NotificationRecord) {
        let Some(recipient) = row.recipient.clone() else {
            return;
        };
        let attempts = row.attempts + 1;
        let outcome = mailer.send(&recipient, &row.subject, &row.body).await;
        let delivery = match outcome {
            Ok(()) => {
                info!(notification.id = row.id, notification.kind = %row.kind, cert.name = %row.certificate, attempts, "notification sent");
                self.timeline.record(
                    &row.cert_key,
                    None,
                    crate::model::EventKind::NotificationDelivered,
                    serde_json::json!({ "to": recipient, "reason": row.kind.as_str(), "attempts": attempts }),
                );
                Delivery {
                    id: row.id,
                    status: DeliveryStatus::Sent,
                    attempts,
                    // The last failure (if any) stays visible next to the attempt count.
                    last_error: row.last_error.clone(),
                    next_attempt_at: row.next_attempt_at,
                    sent_at: Some(self.clock.unix()),
                }
            }
            Err(e) => {
                let give_up = e.permanent || attempts >= MAX_ATTEMPTS;
                warn!(notification.id = row.id, cert.name = %row.certificate, attempts, permanent = e.permanent, error = %e.message, "notification delivery failed");
                self.timeline.record(
                    &row.cert_key,
                    None,
                    crate::model::EventKind::NotificationFailed,
                    serde_json::json!({ "to": recipient, "error": e.message, "attempts": attempts, "retrying": !give_up }),
                );
                Delivery {
                    id: row.id,
                    status: if give_up {
                        DeliveryStatus::Failed
                    } else {
                        DeliveryStatus::Pending
                    },
                    attempts,
                    last_error: Some(e.message),
                    next_attempt_at: self.clock.unix_ms()
                        + retry_wait(self.settings.retry, attempts).as_millis() as i64,
                    sent_at: None,
                }
            }
        };
        if let Err(e) = self
            .db
            .run(move |s| s.apply(vec![Change::PutDelivery(delivery)]))
            .await
        {
            warn!(notification.id = row.id, error = %e, "cannot record a delivery attempt");
        }
    }
}

/// The wait after the `attempts`-th failed attempt: `base`, doubling, at most 10 minutes.
pub fn retry_wait(base: Duration, attempts: u32) -> Duration {
    let secs = base.as_secs_f64() * 2f64.powi(attempts.saturating_sub(1).min(30) as i32);
    Duration::from_secs_f64(secs.min(MAX_RETRY_WAIT.as_secs_f64()))
}

/// The contacts' addresses, deduplicated, in the order they were set.
pub fn recipients(contacts: Option<&Contacts>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for email in contacts
        .and_then(|c| c.contacts.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| c.email.as_deref())
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(email)) {
            out.push(email.to_string());
        }
    }
    out
}

/// A unix time as RFC 3339 (UTC), or "unknown".
pub fn rfc3339(unix: Option<i64>) -> String {
    unix.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Kind, subject and body of a notification. Plain text: every mail names the vault, the
/// certificate, the version, its expiry and the action taken.
fn render(vault: &str, about: &About, event: &Event) -> (NotificationKind, String, String) {
    let name = &about.certificate;
    let expires = rfc3339(about.exp);
    let header = format!(
        "Vault:        {vault}\nCertificate:  {name}\nVersion:      {}\nExpires:      {expires}\n",
        about.version
    );
    match event {
        Event::Expiring { trigger } => (
            NotificationKind::Expiring,
            format!("[Key Vault {vault}] Certificate '{name}' expires on {expires}"),
            format!(
                "The certificate '{name}' in the Key Vault {vault} is nearing its expiry.\n\n\
                 {header}Trigger:      {trigger}\n\
                 Action taken: EmailContacts: this notice was sent to the vault's certificate \
                 contacts.\n\nRenew or replace the certificate before it expires.\n"
            ),
        ),
        Event::Imported => (
            NotificationKind::Imported,
            format!("[Key Vault {vault}] Certificate '{name}' was imported; it expires on {expires}"),
            format!(
                "The certificate '{name}' was imported into the Key Vault {vault}.\n\n{header}\
                 Action taken: expiry notice after import, sent to the vault's certificate \
                 contacts.\n\nKey Vault does not renew a certificate issued by a CA it does \
                 not work with: import a renewed version before this one expires.\n"
            ),
        ),
        Event::Renewed {
            new_version,
            new_exp,
            issuer,
            key_reused,
            already_due,
        } => {
            let new_expires = rfc3339(*new_exp);
            let warning = if *already_due {
                "\nThe new version is already past its own renewal trigger (the CA's clock \
                 disagrees with the vault's); it will not be renewed automatically.\n"
            } else {
                ""
            };
            let key = if *key_reused {
                "the previous version's key pair (policy reuse_key: true)"
            } else {
                "a new key pair (policy reuse_key: false)"
            };
            (
                NotificationKind::Renewed,
                format!(
                    "[Key Vault {vault}] Certificate '{name}' was renewed: version {new_version} \
                     expires on {new_expires}"
                ),
                format!(
                    "The certificate '{name}' in the Key Vault {vault} was renewed \
                     automatically.\n\n{header}New version:  {new_version}\n\
                     New expiry:   {new_expires}\nIssuer:       {issuer}\nKey:          {key}\n\
                     Action taken: AutoRenew: the new version is now the certificate's latest \
                     version.\n{warning}"
                ),
            )
        }
        Event::RenewalFailed { issuer, reason } => (
            NotificationKind::RenewalFailed,
            format!(
                "[Key Vault {vault}] Renewal of certificate '{name}' failed; it expires on {expires}"
            ),
            format!(
                "The automatic renewal of the certificate '{name}' in the Key Vault {vault} \
                 failed.\n\n{header}Issuer:       {issuer}\nReason:       {reason}\n\
                 Action taken: AutoRenew was attempted and did not produce a new version.\n\n\
                 Renew the certificate yourself (create a new version) before it expires.\n"
            ),
        ),
    }
}

/// The JSON an outbox row shows at `GET /_admin/notifications`.
pub fn view(n: &NotificationRecord) -> serde_json::Value {
    serde_json::json!({
        "id": n.id,
        "recipient": n.recipient,
        "kind": n.kind,
        "certificate": n.certificate,
        "version": n.version,
        "created": n.created,
        "created_at": rfc3339(Some(n.created)),
        "subject": n.subject,
        "body": n.body,
        "status": n.status,
        "attempts": n.attempts,
        "last_error": n.last_error,
        "next_attempt_ms": (n.status == DeliveryStatus::Pending).then_some(n.next_attempt_at),
        "sent_at": n.sent_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::models::Contact;

    #[test]
    fn retry_waits_double_and_are_capped() {
        let base = Duration::from_secs(1);
        assert_eq!(retry_wait(base, 1), Duration::from_secs(1));
        assert_eq!(retry_wait(base, 4), Duration::from_secs(8));
        assert_eq!(retry_wait(base, 30), MAX_RETRY_WAIT);
    }

    #[test]
    fn recipients_are_deduplicated() {
        let contacts = Contacts {
            id: None,
            contacts: Some(vec![
                Contact {
                    email: Some("a@example.com".into()),
                    ..Default::default()
                },
                Contact {
                    email: Some("A@example.com".into()),
                    ..Default::default()
                },
                Contact {
                    email: Some("b@example.com".into()),
                    ..Default::default()
                },
            ]),
        };
        assert_eq!(
            recipients(Some(&contacts)),
            vec!["a@example.com", "b@example.com"]
        );
        assert!(recipients(None).is_empty());
    }

    #[test]
    fn mails_name_vault_certificate_version_expiry_and_action() {
        let about = About {
            cert_key: "web".into(),
            certificate: "Web".into(),
            version: "v1".into(),
            exp: Some(1_800_000_000),
        };
        let (kind, subject, body) = render(
            "https://vault.test",
            &about,
            &Event::Expiring {
                trigger: "80% of the lifetime".into(),
            },
        );
        assert_eq!(kind, NotificationKind::Expiring);
        assert!(subject.contains("'Web'") && subject.contains("2027-01-15T08:00:00Z"));
        for needle in ["https://vault.test", "Web", "v1", "EmailContacts", "80%"] {
            assert!(body.contains(needle), "{needle} missing from {body}");
        }
    }
}
