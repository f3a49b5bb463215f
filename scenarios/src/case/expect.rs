//! What a step may expect ([`Expect`]) and the counts and patterns it checks with; the runner's
//! `check` module compares them with what the step observed.

use serde::{Deserialize, Deserializer};

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
    /// Regular expression searched in `error.message` (response or operation); for ACME, in
    /// the problem's `detail` (response, else the order's `error`).
    #[serde(default)]
    pub error_message: Option<Pattern>,
    /// ACME: the problem type of the response (an RFC 8555 name such as `badNonce`, or the
    /// whole `urn:ietf:params:acme:error:…`), else of the order's `error`.
    #[serde(default)]
    pub acme_problem: Option<String>,
    /// `acme_renewal_info`: the suggested window's start, in days after the certificate's
    /// notBefore (fractions allowed, inclusive bounds; negative when it lies before).
    #[serde(default)]
    pub window_start_days_min: Option<f64>,
    #[serde(default)]
    pub window_start_days_max: Option<f64>,
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
    /// Regular expression searched in the issuer's common name (for CAs whose name carries a
    /// per-installation tag, like vault's local ACME CA).
    #[serde(default)]
    pub issuer_cn_match: Option<Pattern>,
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
            || self.issuer_cn_match.is_some()
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
