//! Records of lifetime actions (spec §4.5) and their notifications: the marker that makes each
//! action fire once per certificate version, and the outbox row of each notification with its
//! delivery state. Kept apart from the certificate records; the SQLite side is
//! `store/sqlite/outbox.rs`.

use std::fmt;
use std::str::FromStr;

/// Declares a small string enum stored as text.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("'{other}' is not a valid {}", stringify!($name))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

stored_enum!(
    /// What a marker stands for: a policy's lifetime action, or the notice sent after import.
    MarkerAction {
        AutoRenew => "AutoRenew",
        EmailContacts => "EmailContacts",
        ImportNotice => "ImportNotice",
    }
);

stored_enum!(
    /// `Due`: queued, not handled yet (import notices). `Renewing`: a renewal operation was
    /// started and its outcome is not reported yet. `Done`: nothing left to do.
    MarkerState {
        Due => "due",
        Renewing => "renewing",
        Done => "done",
    }
);

stored_enum!(
    /// Why contacts were mailed.
    NotificationKind {
        /// An `EmailContacts` trigger: the certificate nears its expiry.
        Expiring => "expiring",
        /// The expiry notice Key Vault sends right after an import.
        Imported => "imported",
        /// `AutoRenew` produced a new version.
        Renewed => "renewed",
        /// `AutoRenew` could not produce a new version (CA rejection, cancel, error).
        RenewalFailed => "renewal_failed",
    }
);

stored_enum!(
    /// Delivery state of one outbox row.
    DeliveryStatus {
        /// Waiting for (another) delivery attempt.
        Pending => "pending",
        Sent => "sent",
        /// Gave up: a permanent SMTP error or too many attempts.
        Failed => "failed",
        /// Recorded only: vault runs without `--smtp`.
        NotSent => "not_sent",
        /// The vault has no contacts; recorded so the action stays visible.
        NoRecipients => "no_recipients",
    }
);

/// One lifetime action of one version, fired (or queued) once. Written in the same transaction
/// as what the action does, so a restart neither repeats nor loses it.
#[derive(Debug, Clone, PartialEq)]
pub struct LifetimeMarker {
    pub key: String,
    pub version: String,
    pub action: MarkerAction,
    pub state: MarkerState,
    /// The renewal operation's request id (AutoRenew only).
    pub request_id: Option<String>,
    pub created: i64,
    pub updated: i64,
}

/// One notification to one recipient (or the lack of any), with its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    /// Assigned by the store on insert (ignored when adding).
    pub id: i64,
    /// `None` when the vault had no contacts.
    pub recipient: Option<String>,
    pub kind: NotificationKind,
    pub cert_key: String,
    /// The certificate's name as the user spelled it.
    pub certificate: String,
    pub version: String,
    /// Unix seconds (vault clock).
    pub created: i64,
    pub subject: String,
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Unix milliseconds of the next delivery attempt (meaningful while `Pending`).
    pub next_attempt_at: i64,
    /// Unix seconds of the successful delivery.
    pub sent_at: Option<i64>,
}

/// The outcome of a delivery attempt, written back to an outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
}
