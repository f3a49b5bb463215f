//! The scenario file format (TOML): one [`Case`] per file, documented in `scenarios/README.md`.
//!
//! Everything is checked while deserializing, so a bad file fails with the file, line and field
//! (toml's span information) before anything runs: unknown fields, wrong types, durations,
//! regular expressions, fault rules (ca-sim's own rule type) and step kinds.

use crate::error::Error;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A parsed scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique name (used for filters, reports and JUnit test names).
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Deadline for the whole scenario (default 60s).
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Run alone (nothing else concurrently). Implied by global state: fault rules, clocks,
    /// contacts, ca-sim request counts.
    #[serde(default)]
    pub exclusive: bool,
    #[serde(default)]
    pub setup: Setup,
    pub steps: Vec<toml::Spanned<Step>>,
    /// Where the case came from (filled in by [`load_file`]).
    #[serde(skip)]
    pub file: PathBuf,
}

/// State put in place before the first step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// ca-sim accounts to add or replace (`PUT /admin/accounts`), e.g. with a timing profile.
    #[serde(default)]
    pub accounts: Vec<ca_sim::config::Account>,
    /// ca-sim fault rules that replace all rules for the scenario (`PUT /admin/faults`); cleared
    /// afterwards.
    #[serde(default)]
    pub faults: Vec<ca_sim::faults::FaultRule>,
    /// Vault issuers (`PUT /certificates/issuers/{name}`).
    #[serde(default)]
    pub issuers: Vec<IssuerSpec>,
    /// Vault certificate contacts (`PUT /certificates/contacts`).
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Set vault's clock offset from the system clock, in seconds (`PUT /_admin/clock`).
    #[serde(default)]
    pub vault_clock_offset: Option<i64>,
    /// Move ca-sim's simulated clock forward (`POST /admin/clock`).
    #[serde(default)]
    pub ca_clock_advance: Option<Dur>,
}

/// A vault issuer. Credentials default to ca-sim's built-in account of the provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSpec {
    pub name: String,
    /// `DigiCert`, `GlobalSign` or `WoSign`.
    pub provider: String,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub pwd: Option<String>,
    /// DigiCert organization id (default `100001`, the validated one).
    #[serde(default)]
    pub org_id: Option<String>,
    /// Send this JSON body verbatim instead of building one.
    #[serde(default)]
    pub body: Option<toml::Value>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Where `merge` gets its certificate from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Signer {
    /// The runner's own CA signs the pending CSR.
    #[default]
    ExternalCa,
    /// The runner's CA certifies a different key (the merge must be refused).
    WrongKey,
}

/// What `list` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListOf {
    Certificates,
    Versions,
    Deleted,
    Issuers,
}

/// One step. `do` selects the kind; every kind takes an optional `expect` table and an optional
/// `say` line (narration shown by `demo` and in the live progress).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// `POST /certificates/{name}/create`.
    Create {
        name: String,
        /// `Self` (default), `Unknown`, or a vault issuer's name.
        #[serde(default)]
        issuer: Option<String>,
        #[serde(default)]
        subject: Option<String>,
        #[serde(default)]
        dns_names: Vec<String>,
        #[serde(default)]
        key_type: Option<String>,
        #[serde(default)]
        key_size: Option<u32>,
        #[serde(default)]
        curve: Option<String>,
        #[serde(default)]
        validity_months: Option<u32>,
        /// Issuer certificate type (`OV-SSL`, `EV-SSL`); partner issuers default to `OV-SSL`.
        #[serde(default)]
        cty: Option<String>,
        /// `application/x-pkcs12` (default) or `application/x-pem-file`.
        #[serde(default)]
        content_type: Option<String>,
        /// The policy's `key_props.reuse_key` (default false).
        #[serde(default)]
        reuse_key: Option<bool>,
        /// The policy's lifetime actions (vault's default when empty: AutoRenew at 80 %, or
        /// EmailContacts for issuer Unknown).
        #[serde(default)]
        lifetime_actions: Vec<LifetimeActionSpec>,
        /// Tags of the new version.
        #[serde(default)]
        tags: Option<toml::Table>,
        /// Send this body verbatim instead of building one from the fields above.
        #[serde(default)]
        body: Option<toml::Value>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `POST /certificates/{name}/import` of a key and certificate the runner makes.
    Import {
        name: String,
        /// `pfx` (default) or `pem`.
        #[serde(default)]
        format: Option<String>,
        #[serde(default)]
        subject: Option<String>,
        #[serde(default)]
        dns_names: Vec<String>,
        #[serde(default)]
        key_type: Option<String>,
        #[serde(default)]
        key_size: Option<u32>,
        #[serde(default)]
        curve: Option<String>,
        /// Leave the private key out (the import must be refused).
        #[serde(default)]
        without_key: bool,
        /// Make the certificate expired (the import must be refused).
        #[serde(default)]
        expired: bool,
        /// Send this body verbatim.
        #[serde(default)]
        body: Option<toml::Value>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `POST /certificates/{name}/pending/merge`, signed by the runner's CA.
    Merge {
        name: String,
        #[serde(default)]
        signer: Signer,
        #[serde(default)]
        body: Option<toml::Value>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `PATCH /certificates/{name}/pending {"cancellation_requested": true}`.
    Cancel {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `DELETE /certificates/{name}/pending`.
    DeletePending {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `GET /certificates/{name}/{version}` (latest by default).
    Get {
        name: String,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `GET /certificates/{name}/pending`.
    GetPending {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Polls `GET .../pending` until the operation has `status` (or ends otherwise).
    PollUntil {
        name: String,
        /// `completed` (default), `failed`, `cancelled`, `inProgress`.
        #[serde(default)]
        status: Option<String>,
        /// Give up after this long (default 30s).
        #[serde(default)]
        deadline: Option<Dur>,
        /// How long it is expected to take (sizes `demo`'s progress bar).
        #[serde(default)]
        expected: Option<Dur>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `PATCH /certificates/{name}` with attributes and tags.
    Update {
        name: String,
        #[serde(default)]
        enabled: Option<bool>,
        #[serde(default)]
        tags: Option<toml::Table>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `DELETE /certificates/{name}` (soft delete).
    Delete {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `GET /deletedcertificates/{name}`.
    GetDeleted {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `POST /deletedcertificates/{name}/recover`.
    Recover {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `DELETE /deletedcertificates/{name}`.
    Purge {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Lists certificates, versions of one, deleted certificates or issuers (every page).
    List {
        of: ListOf,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `POST /certificates/{name}/backup`; the blob is kept under `save_as`.
    Backup {
        name: String,
        save_as: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `POST /certificates/restore` with a blob saved by `backup`.
    Restore {
        from: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `PUT /certificates/issuers/{name}`.
    SetIssuer {
        name: String,
        provider: String,
        #[serde(default)]
        account_id: Option<String>,
        #[serde(default)]
        pwd: Option<String>,
        #[serde(default)]
        org_id: Option<String>,
        #[serde(default)]
        body: Option<toml::Value>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `GET /certificates/issuers/{name}`.
    GetIssuer {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `DELETE /certificates/issuers/{name}`.
    DeleteIssuer {
        name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `PUT /certificates/contacts`.
    SetContacts {
        contacts: Vec<Contact>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `GET /certificates/contacts`.
    GetContacts {
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// `DELETE /certificates/contacts`.
    DeleteContacts {
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Any vault request (api-version is added unless the path has a query).
    Request {
        method: String,
        path: String,
        #[serde(default)]
        body: Option<toml::Value>,
        /// Send no Authorization header.
        #[serde(default)]
        anonymous: bool,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Moves vault's clock (`seconds`, through `/_admin/clock/advance`) and/or ca-sim's
    /// simulated clock (`ca_sim`, e.g. `"2d"`).
    AdvanceClock {
        #[serde(default)]
        seconds: Option<i64>,
        #[serde(default)]
        ca_sim: Option<Dur>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Approves the open ca-sim order for `common_name` (`POST /admin/orders/{id}/approve`).
    CaApprove {
        common_name: String,
        #[serde(default)]
        wait: Option<Dur>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Rejects the open ca-sim order for `common_name`.
    CaReject {
        common_name: String,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        wait: Option<Dur>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Reads the newest ca-sim order for `common_name` (expect `ca_status`, `distrusted`).
    CaOrder {
        common_name: String,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Replaces ca-sim's fault rules (`PUT /admin/faults`); `[]` clears them.
    SetFaults {
        rules: Vec<ca_sim::faults::FaultRule>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Reads vault's notification outbox (`GET /_admin/notifications`, only the certificate
    /// `name` when given; only rows added since the scenario started) until `expect` holds or
    /// `wait` (default 20s) has passed.
    Notifications {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        wait: Option<Dur>,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
    /// Waits (use `poll_until` to wait for state).
    Sleep {
        #[serde(rename = "for")]
        duration: Dur,
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        say: Option<String>,
    },
}

/// Checks applied to what a step observed. Every field is optional; without `status`, any 2xx
/// passes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// HTTP status of the step's (last) response.
    #[serde(default)]
    pub status: Option<u16>,
    /// The pending operation's `status` (`inProgress`, `completed`, `failed`, `cancelled`).
    #[serde(default)]
    pub op_status: Option<String>,
    /// `error.code` of the response, or of the operation.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Regular expression searched in `error.message` (response or operation).
    #[serde(default)]
    pub error_message: Option<Pattern>,
    /// Regular expression searched in the operation's `status_details`.
    #[serde(default)]
    pub status_details: Option<Pattern>,
    /// The operation carries a CSR.
    #[serde(default)]
    pub has_csr: Option<bool>,
    /// Certificate subject (normalized DN text, e.g. `CN=a.example, O=Contoso`).
    #[serde(default)]
    pub subject: Option<String>,
    /// Common name of the certificate's issuer.
    #[serde(default)]
    pub issuer_cn: Option<String>,
    /// The certificate is self-issued.
    #[serde(default)]
    pub self_issued: Option<bool>,
    /// DNS SANs, in any order.
    #[serde(default)]
    pub dns_names: Option<Vec<String>>,
    /// `EC` or `RSA`.
    #[serde(default)]
    pub key_type: Option<String>,
    #[serde(default)]
    pub key_size: Option<u32>,
    /// `P-256`, `P-384`, `P-521`.
    #[serde(default)]
    pub curve: Option<String>,
    /// Certificates in the secret (leaf first).
    #[serde(default)]
    pub chain_length: Option<usize>,
    /// Validity window (notAfter - notBefore) in whole days, inclusive bounds.
    #[serde(default)]
    pub validity_days_min: Option<i64>,
    #[serde(default)]
    pub validity_days_max: Option<i64>,
    /// `attributes.enabled` of the certificate.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The secret's content type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// `list`: number of items (of the ones whose name starts with `prefix`, when set).
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub prefix: Option<String>,
    /// `list`: names that must be present / absent.
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub not_contains: Vec<String>,
    /// `ca_order`: ca-sim's order status (`issued`, `pending`, `rejected`, `canceled`, ...).
    #[serde(default)]
    pub ca_status: Option<String>,
    /// `ca_order`: the WoSign distrust flag.
    #[serde(default)]
    pub distrusted: Option<bool>,
    /// Counts in ca-sim's request history since the scenario started.
    #[serde(default)]
    pub ca_requests: Vec<CaRequests>,
    /// JSON pointer → expected value, checked on the response body (e.g. `"/provider" = "DigiCert"`).
    #[serde(default)]
    pub json: toml::Table,
    /// `notifications`: counts of outbox rows matching kind / recipient / certificate / ...
    #[serde(default)]
    pub notifications: Vec<NotificationCount>,
}

impl Expect {
    /// Whether any certificate field is checked.
    pub fn wants_cert(&self) -> bool {
        self.subject.is_some()
            || self.issuer_cn.is_some()
            || self.self_issued.is_some()
            || self.dns_names.is_some()
            || self.key_type.is_some()
            || self.key_size.is_some()
            || self.curve.is_some()
            || self.chain_length.is_some()
            || self.validity_days_min.is_some()
            || self.validity_days_max.is_some()
            || self.enabled.is_some()
            || self.content_type.is_some()
    }
}

/// A count of ca-sim requests matching dialect / operation / account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaRequests {
    #[serde(default)]
    pub dialect: Option<ca_sim::Dialect>,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    /// Only requests a fault rule answered (`true`) or that were answered normally (`false`).
    #[serde(default)]
    pub faulted: Option<bool>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub min: Option<usize>,
    #[serde(default)]
    pub max: Option<usize>,
}

/// One lifetime action of a `create` policy: `action` plus one trigger.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifetimeActionSpec {
    /// `AutoRenew` or `EmailContacts`.
    pub action: String,
    #[serde(default)]
    pub lifetime_percentage: Option<u32>,
    #[serde(default)]
    pub days_before_expiry: Option<u32>,
}

/// A count of vault outbox rows (`GET /_admin/notifications`) matching every given field.
/// Without `count`, `min` or `max`: at least one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationCount {
    /// `imported`, `expiring`, `renewed`, `renewal_failed`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The contact's address (rows without recipients have none).
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub certificate: Option<String>,
    /// Delivery status: `pending`, `sent`, `failed`, `not_sent`, `no_recipients`.
    #[serde(default)]
    pub status: Option<String>,
    /// Regular expression searched in the subject.
    #[serde(default)]
    pub subject: Option<Pattern>,
    /// Regular expression searched in the body.
    #[serde(default)]
    pub body: Option<Pattern>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub min: Option<usize>,
    #[serde(default)]
    pub max: Option<usize>,
}

/// A duration written `500ms`, `2s`, `5m`, `1h`, `3d` (or a bare number of seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl Dur {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let split = t
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: f64 = num
            .parse()
            .map_err(|_| format!("invalid duration '{text}' (write 500ms, 2s, 5m, 1h or 3d)"))?;
        let secs = match unit {
            "ms" => n / 1000.0,
            "s" | "" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            "d" => n * 86400.0,
            _ => {
                return Err(format!(
                    "invalid duration '{text}': unknown unit '{unit}' (use ms, s, m, h or d)"
                ))
            }
        };
        Ok(Dur(Duration::from_secs_f64(secs)))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Float(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Dur(Duration::from_secs(n))),
            Raw::Float(f) if f >= 0.0 && f.is_finite() => Ok(Dur(Duration::from_secs_f64(f))),
            Raw::Float(f) => Err(serde::de::Error::custom(format!("invalid duration {f}"))),
            Raw::Text(t) => Dur::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// A regular expression, compiled while the file is read.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        regex::Regex::new(&text).map(Pattern).map_err(|e| {
            serde::de::Error::custom(format!("invalid regular expression '{text}': {e}"))
        })
    }
}

impl Step {
    /// The `do` value.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Create { .. } => "create",
            Step::Import { .. } => "import",
            Step::Merge { .. } => "merge",
            Step::Cancel { .. } => "cancel",
            Step::DeletePending { .. } => "delete_pending",
            Step::Get { .. } => "get",
            Step::GetPending { .. } => "get_pending",
            Step::PollUntil { .. } => "poll_until",
            Step::Update { .. } => "update",
            Step::Delete { .. } => "delete",
            Step::GetDeleted { .. } => "get_deleted",
            Step::Recover { .. } => "recover",
            Step::Purge { .. } => "purge",
            Step::List { .. } => "list",
            Step::Backup { .. } => "backup",
            Step::Restore { .. } => "restore",
            Step::SetIssuer { .. } => "set_issuer",
            Step::GetIssuer { .. } => "get_issuer",
            Step::DeleteIssuer { .. } => "delete_issuer",
            Step::SetContacts { .. } => "set_contacts",
            Step::GetContacts { .. } => "get_contacts",
            Step::DeleteContacts { .. } => "delete_contacts",
            Step::Request { .. } => "request",
            Step::AdvanceClock { .. } => "advance_clock",
            Step::CaApprove { .. } => "ca_approve",
            Step::CaReject { .. } => "ca_reject",
            Step::CaOrder { .. } => "ca_order",
            Step::SetFaults { .. } => "set_faults",
            Step::Notifications { .. } => "notifications",
            Step::Sleep { .. } => "sleep",
        }
    }

    /// The certificate name the step works on, if any.
    pub fn cert_name(&self) -> Option<&str> {
        match self {
            Step::Create { name, .. }
            | Step::Import { name, .. }
            | Step::Merge { name, .. }
            | Step::Cancel { name, .. }
            | Step::DeletePending { name, .. }
            | Step::Get { name, .. }
            | Step::GetPending { name, .. }
            | Step::PollUntil { name, .. }
            | Step::Update { name, .. }
            | Step::Delete { name, .. }
            | Step::GetDeleted { name, .. }
            | Step::Recover { name, .. }
            | Step::Purge { name, .. }
            | Step::Backup { name, .. } => Some(name),
            Step::List { name, .. } | Step::Notifications { name, .. } => name.as_deref(),
            _ => None,
        }
    }

    /// A short label: `create web`, `poll_until web`.
    pub fn label(&self) -> String {
        match (self, self.cert_name()) {
            (Step::SetIssuer { name, .. }, _)
            | (Step::GetIssuer { name, .. }, _)
            | (Step::DeleteIssuer { name, .. }, _) => format!("{} {name}", self.kind()),
            (Step::Request { method, path, .. }, _) => format!("request {method} {path}"),
            (Step::CaApprove { common_name, .. }, _)
            | (Step::CaReject { common_name, .. }, _)
            | (Step::CaOrder { common_name, .. }, _) => format!("{} {common_name}", self.kind()),
            (Step::List { of, .. }, name) => format!(
                "list {of:?}{}",
                name.map(|n| format!(" {n}")).unwrap_or_default()
            )
            .to_lowercase(),
            (_, Some(name)) => format!("{} {name}", self.kind()),
            (_, None) => self.kind().to_string(),
        }
    }

    pub fn expect(&self) -> &Expect {
        match self {
            Step::Create { expect, .. }
            | Step::Import { expect, .. }
            | Step::Merge { expect, .. }
            | Step::Cancel { expect, .. }
            | Step::DeletePending { expect, .. }
            | Step::Get { expect, .. }
            | Step::GetPending { expect, .. }
            | Step::PollUntil { expect, .. }
            | Step::Update { expect, .. }
            | Step::Delete { expect, .. }
            | Step::GetDeleted { expect, .. }
            | Step::Recover { expect, .. }
            | Step::Purge { expect, .. }
            | Step::List { expect, .. }
            | Step::Backup { expect, .. }
            | Step::Restore { expect, .. }
            | Step::SetIssuer { expect, .. }
            | Step::GetIssuer { expect, .. }
            | Step::DeleteIssuer { expect, .. }
            | Step::SetContacts { expect, .. }
            | Step::GetContacts { expect, .. }
            | Step::DeleteContacts { expect, .. }
            | Step::Request { expect, .. }
            | Step::AdvanceClock { expect, .. }
            | Step::CaApprove { expect, .. }
            | Step::CaReject { expect, .. }
            | Step::CaOrder { expect, .. }
            | Step::SetFaults { expect, .. }
            | Step::Notifications { expect, .. }
            | Step::Sleep { expect, .. } => expect,
        }
    }

    pub fn say(&self) -> Option<&str> {
        match self {
            Step::Create { say, .. }
            | Step::Import { say, .. }
            | Step::Merge { say, .. }
            | Step::Cancel { say, .. }
            | Step::DeletePending { say, .. }
            | Step::Get { say, .. }
            | Step::GetPending { say, .. }
            | Step::PollUntil { say, .. }
            | Step::Update { say, .. }
            | Step::Delete { say, .. }
            | Step::GetDeleted { say, .. }
            | Step::Recover { say, .. }
            | Step::Purge { say, .. }
            | Step::List { say, .. }
            | Step::Backup { say, .. }
            | Step::Restore { say, .. }
            | Step::SetIssuer { say, .. }
            | Step::GetIssuer { say, .. }
            | Step::DeleteIssuer { say, .. }
            | Step::SetContacts { say, .. }
            | Step::GetContacts { say, .. }
            | Step::DeleteContacts { say, .. }
            | Step::Request { say, .. }
            | Step::AdvanceClock { say, .. }
            | Step::CaApprove { say, .. }
            | Step::CaReject { say, .. }
            | Step::CaOrder { say, .. }
            | Step::SetFaults { say, .. }
            | Step::Notifications { say, .. }
            | Step::Sleep { say, .. } => say.as_deref(),
        }
    }

    /// Whether the step touches state shared by every scenario.
    fn is_global(&self) -> bool {
        matches!(
            self,
            Step::SetContacts { .. }
                | Step::GetContacts { .. }
                | Step::DeleteContacts { .. }
                | Step::AdvanceClock { .. }
                | Step::SetFaults { .. }
        ) || !self.expect().ca_requests.is_empty()
            // The whole outbox (not one certificate's): other scenarios' notices would count.
            || matches!(self, Step::Notifications { name: None, expect, .. }
                if expect.notifications.is_empty()
                    || expect.notifications.iter().any(|n| n.certificate.is_none()))
            || matches!(self, Step::List { of: ListOf::Certificates | ListOf::Deleted | ListOf::Issuers, expect, .. } if expect.count.is_some() && expect.prefix.is_none())
    }
}

impl Case {
    /// Certificate names, issuer names and ca-sim account ids the scenario uses: two scenarios
    /// sharing any of them never run at the same time.
    pub fn resources(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for step in &self.steps {
            let step = step.get_ref();
            if let Some(n) = step.cert_name() {
                out.insert(format!("cert:{n}"));
            }
            match step {
                Step::SetIssuer { name, .. }
                | Step::GetIssuer { name, .. }
                | Step::DeleteIssuer { name, .. } => {
                    out.insert(format!("issuer:{name}"));
                }
                Step::Create {
                    issuer: Some(i), ..
                } => {
                    out.insert(format!("issuer:{i}"));
                }
                Step::CaApprove { common_name, .. }
                | Step::CaReject { common_name, .. }
                | Step::CaOrder { common_name, .. } => {
                    out.insert(format!("cn:{common_name}"));
                }
                _ => {}
            }
        }
        for i in &self.setup.issuers {
            out.insert(format!("issuer:{}", i.name));
        }
        for a in &self.setup.accounts {
            out.insert(format!("account:{}:{}", a.dialect, a.id));
        }
        out.remove("issuer:Self");
        out.remove("issuer:Unknown");
        out
    }

    /// Whether the scenario must run alone.
    pub fn is_exclusive(&self) -> bool {
        self.exclusive
            || !self.setup.faults.is_empty()
            || !self.setup.contacts.is_empty()
            || self.setup.vault_clock_offset.is_some()
            || self.setup.ca_clock_advance.is_some()
            || self.steps.iter().any(|s| s.get_ref().is_global())
    }

    /// Whether the scenario changes ca-sim's fault rules (they are cleared afterwards).
    pub fn touches_faults(&self) -> bool {
        !self.setup.faults.is_empty()
            || self
                .steps
                .iter()
                .any(|s| matches!(s.get_ref(), Step::SetFaults { .. }))
    }

    /// Whether the scenario moves vault's clock (its offset is restored afterwards).
    pub fn moves_vault_clock(&self) -> bool {
        self.setup.vault_clock_offset.is_some()
            || self.steps.iter().any(|s| {
                matches!(
                    s.get_ref(),
                    Step::AdvanceClock {
                        seconds: Some(_),
                        ..
                    }
                )
            })
    }

    /// Whether the scenario changes vault's certificate contacts (restored afterwards).
    pub fn changes_contacts(&self) -> bool {
        !self.setup.contacts.is_empty()
            || self.steps.iter().any(|s| {
                matches!(
                    s.get_ref(),
                    Step::SetContacts { .. } | Step::DeleteContacts { .. }
                )
            })
    }

    /// Whether any step reads vault's notification outbox.
    pub fn reads_notifications(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.get_ref(), Step::Notifications { .. }))
    }

    /// Whether any expectation counts ca-sim requests (history is cleared first).
    pub fn counts_requests(&self) -> bool {
        self.steps
            .iter()
            .any(|s| !s.get_ref().expect().ca_requests.is_empty())
    }

    /// 1-based line of step `index` in the file.
    pub fn step_line(&self, source: &str, index: usize) -> usize {
        line_of(source, self.steps[index].span().start)
    }
}

/// Parses a scenario from `text`; errors name `file`, the line and the field.
pub fn parse(text: &str, file: &Path) -> Result<Case, Error> {
    let mut case: Case = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        // Steps are buffered by serde (the `do` tag), so errors inside one point at the whole
        // step; narrow them down to the line that holds the field or value named in the message.
        let offset = e
            .span()
            .map(|s| refine(text, s.clone(), &message).unwrap_or(s.start));
        let (line, column) = offset.map(|o| line_col(text, o)).unwrap_or((0, 0));
        let field = offset
            .and_then(|o| field_at(text, o))
            .filter(|f| !message.contains(&format!("`{f}`")))
            .map(|f| format!("field `{f}`: "))
            .unwrap_or_default();
        let source_line = text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .trim();
        Error::Case {
            file: file.to_path_buf(),
            line,
            column,
            message: format!(
                "{field}{message}{}",
                if source_line.is_empty() {
                    String::new()
                } else {
                    format!("\n    | {source_line}")
                }
            ),
        }
    })?;
    case.file = file.to_path_buf();
    validate(&case, text, file)?;
    Ok(case)
}

/// Checks that need more than one field.
fn validate(case: &Case, text: &str, file: &Path) -> Result<(), Error> {
    let bad = |line: usize, message: String| Error::Case {
        file: file.to_path_buf(),
        line,
        column: 1,
        message,
    };
    if case.name.trim().is_empty() {
        return Err(bad(
            line_of(text, text.find("name").unwrap_or(0)),
            "field `name`: must not be empty".into(),
        ));
    }
    if case.steps.is_empty() {
        return Err(bad(
            1,
            "field `steps`: a scenario needs at least one step".into(),
        ));
    }
    for (i, step) in case.steps.iter().enumerate() {
        let line = case.step_line(text, i);
        match step.get_ref() {
            Step::List {
                of: ListOf::Versions,
                name: None,
                ..
            } => {
                return Err(bad(
                    line,
                    "field `name`: `list` of versions needs a name".into(),
                ))
            }
            Step::AdvanceClock {
                seconds: None,
                ca_sim: None,
                ..
            } => {
                return Err(bad(
                    line,
                    "field `seconds`: `advance_clock` needs `seconds` (vault) or `ca_sim`".into(),
                ))
            }
            Step::Import {
                format: Some(f), ..
            } if f != "pfx" && f != "pem" => {
                return Err(bad(
                    line,
                    format!("field `format`: '{f}' is neither pfx nor pem"),
                ))
            }
            Step::Request { method, .. }
                if reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).is_err() =>
            {
                return Err(bad(
                    line,
                    format!("field `method`: invalid method '{method}'"),
                ))
            }
            _ => {}
        }
        if !step.get_ref().expect().notifications.is_empty()
            && !matches!(step.get_ref(), Step::Notifications { .. })
        {
            return Err(bad(
                line,
                "field `notifications`: only a `notifications` step reads the outbox".into(),
            ));
        }
        if let Some(n) = step
            .get_ref()
            .expect()
            .notifications
            .iter()
            .find(|n| matches!((n.min, n.max), (Some(a), Some(b)) if a > b))
        {
            let _ = n;
            return Err(bad(
                line,
                "field `notifications`: `min` is greater than `max`".into(),
            ));
        }
        if let Some(r) = step
            .get_ref()
            .expect()
            .ca_requests
            .iter()
            .find(|r| r.count.is_none() && r.min.is_none() && r.max.is_none())
        {
            let _ = r;
            return Err(bad(
                line,
                "field `ca_requests`: give `count`, `min` or `max`".into(),
            ));
        }
    }
    for (i, rule) in case.setup.faults.iter().enumerate() {
        rule.validate().map_err(|e| {
            bad(
                line_of(text, nth_index(text, "[[setup.faults]]", i).unwrap_or(0)),
                format!("field `setup.faults`: {e}"),
            )
        })?;
    }
    Ok(())
}

/// Inside `span`, the offset of the key or value the message quotes (`field` or 'value').
fn refine(text: &str, span: std::ops::Range<usize>, message: &str) -> Option<usize> {
    // The span may cover only the `[[steps]]` header: extend it to the next table header.
    let mut end = span.end.min(text.len());
    let rest = &text[end..];
    let mut next_header = rest.len();
    let mut pos = 0;
    for line in rest.split_inclusive('\n') {
        if pos > 0 && line.trim_start().starts_with('[') {
            next_header = pos;
            break;
        }
        pos += line.len();
    }
    end += next_header;
    let region = text.get(span.start..end)?;
    let quoted = |open: char, close: char| -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = message;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len_utf8()..];
            match after.find(close) {
                Some(j) => {
                    out.push(after[..j].to_string());
                    rest = &after[j + close.len_utf8()..];
                }
                None => break,
            }
        }
        out
    };
    // Keys first: "unknown field `staus`", "unknown variant `teleport`".
    for word in quoted('`', '`') {
        for (i, _) in region.match_indices(word.as_str()) {
            let before = region[..i].chars().last();
            let after = region[i + word.len()..].trim_start().chars().next();
            let boundary = before.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            if boundary && (after == Some('=') || before == Some('"')) {
                return Some(span.start + i);
            }
        }
    }
    // Then values: "invalid duration '2 fortnights'".
    for value in quoted('\'', '\'') {
        if value.len() >= 2 {
            if let Some(i) = region.find(value.as_str()) {
                return Some(span.start + i);
            }
        }
    }
    None
}

fn nth_index(text: &str, needle: &str, n: usize) -> Option<usize> {
    text.match_indices(needle).nth(n).map(|(i, _)| i)
}

fn line_of(text: &str, offset: usize) -> usize {
    line_col(text, offset).0
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// The key written on the line of `offset` (`key = ...`), if any.
fn field_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.\"".contains(c));
    ok.then(|| key.trim_matches('"').to_string())
}

/// Reads one scenario file.
pub fn load_file(path: &Path) -> Result<Case, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse(&text, path)
}

/// Reads every `*.toml` under the given files and folders (sorted, recursively); duplicate
/// scenario names are an error.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Case>, Error> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    let mut cases: Vec<Case> = Vec::new();
    for f in files {
        let case = load_file(&f)?;
        if let Some(other) = cases.iter().find(|c| c.name == case.name) {
            return Err(Error::DuplicateName {
                name: case.name,
                first: other.file.clone(),
                second: f,
            });
        }
        cases.push(case);
    }
    Ok(cases)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() || e.extension().is_some_and(|x| x == "toml") {
                collect(&e, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}
