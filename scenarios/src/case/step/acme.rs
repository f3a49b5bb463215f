//! Step kinds that speak ACME (RFC 8555) to vault's gateway (`/acme/…`) through a real ACME
//! client library (`instant-acme`): accounts, orders, challenges, finalize, download,
//! revocation, renewal information (RFC 9773), and the gateway's chaos document.
//!
//! Accounts, orders and certificates get names in the scenario (`account`, `order`,
//! `save_as`/`cert`), so later steps can refer to them; every name defaults to `default`.

use super::kind::step_kind;
use shared::duration::Dur;

/// The name an ACME object gets when the step names none.
pub const DEFAULT_NAME: &str = "default";

fn default_name() -> String {
    DEFAULT_NAME.to_string()
}

step_kind! {
    /// `acme_account`: a new account (`POST /acme/new-account`), or the account of a key looked
    /// up with `onlyReturnExisting` (`existing = true`).
    pub struct AcmeAccount {
        /// The account's name in the scenario.
        #[serde(default = "default_name")]
        pub account: String,
        /// Contact URLs (`mailto:…`).
        #[serde(default)]
        pub contact: Vec<String>,
        /// Look up the account with the key of the scenario's account `account` (a fresh key when
        /// the scenario has none by that name: vault must answer `accountDoesNotExist`).
        #[serde(default)]
        pub existing: bool,
        /// Bind an external account: the runner creates a key through `POST /_admin/acme/eab`.
        #[serde(default)]
        pub eab: bool,
        /// Bind with this external account key id and HMAC key (base64url) instead.
        #[serde(default)]
        pub eab_kid: Option<String>,
        #[serde(default)]
        pub eab_key: Option<String>,
        /// Use the directory pinned to this profile (`/acme/{profile}/directory`), as a client
        /// without profile support would.
        #[serde(default)]
        pub directory_profile: Option<String>,
    }
}

step_kind! {
    /// `acme_order`: `POST /acme/new-order` for `identifiers` (DNS names, `*.` wildcards or IP
    /// addresses).
    pub struct AcmeOrder {
        /// The order's name in the scenario.
        #[serde(default = "default_name")]
        pub order: String,
        #[serde(default = "default_name")]
        pub account: String,
        pub identifiers: Vec<String>,
        /// `local` (vault's default), `shortlived`, or a partner issuer's name.
        #[serde(default)]
        pub profile: Option<String>,
        /// The certificate (an `acme_download`'s `save_as`) this order replaces (RFC 9773 §5).
        #[serde(default)]
        pub replaces: Option<String>,
    }
}

step_kind! {
    /// `acme_challenge`: answers one challenge of every pending authorization of the order, then
    /// polls the order until it leaves `pending`.
    pub struct AcmeChallenge {
        #[serde(default = "default_name")]
        pub order: String,
        /// `http-01`, `dns-01`, `tls-alpn-01`, or `any` (default: http-01 when offered, else the
        /// first). http-01 is answered by the runner's responder; the other two only count against
        /// vault run with `--acme-validation always-valid`.
        #[serde(default, rename = "type")]
        pub challenge_type: Option<String>,
        /// The order status to end in: `ready` (default) or `invalid`.
        #[serde(default)]
        pub status: Option<String>,
        /// Give up after this long (default 30s).
        #[serde(default)]
        pub deadline: Option<Dur>,
    }
}

step_kind! {
    /// `acme_finalize`: a CSR for the order's identifiers (key made by the runner), sent to the
    /// order's finalize URL; then polls the order until it leaves `processing`.
    pub struct AcmeFinalize waits {
        #[serde(default = "default_name")]
        pub order: String,
        /// `EC` (default, P-256) or `RSA` (2048 unless `key_size`).
        #[serde(default)]
        pub key_type: Option<String>,
        #[serde(default)]
        pub key_size: Option<u32>,
        #[serde(default)]
        pub curve: Option<String>,
        /// Put these names in the CSR instead of the order's (vault must refuse a mismatch).
        #[serde(default)]
        pub csr_names: Option<Vec<String>>,
        /// The order status to end in: `valid` (default), `invalid`, or `processing` (do not wait).
        #[serde(default)]
        pub status: Option<String>,
    }
}

step_kind! {
    /// `acme_poll`: reads the order (POST-as-GET) until it has `status` or is settled otherwise
    /// (`valid`, `invalid`): how a client waits for a partner CA after `acme_finalize` with
    /// `status = "processing"`.
    pub struct AcmePoll waits {
        #[serde(default = "default_name")]
        pub order: String,
        /// `valid` (default), `invalid`, `ready`, `processing` or `pending`.
        #[serde(default)]
        pub status: Option<String>,
    }
}

step_kind! {
    /// `acme_download`: the certificate chain of a valid order (`POST /acme/cert/{id}`), kept
    /// under `save_as`; certificate expectations read its leaf, `chain_length` the chain.
    pub struct AcmeDownload {
        #[serde(default = "default_name")]
        pub order: String,
        /// The certificate's name in the scenario (default: the order's name).
        #[serde(default)]
        pub save_as: Option<String>,
    }
}

step_kind! {
    /// `acme_revoke`: `POST /acme/revoke-cert` of a downloaded certificate, signed by the account
    /// that ordered it.
    pub struct AcmeRevoke {
        #[serde(default = "default_name")]
        pub cert: String,
        /// Sign with this scenario account instead of the one that ordered the certificate.
        #[serde(default)]
        pub account: Option<String>,
        /// RFC 5280 reason: a name (`keyCompromise`, `superseded`, …) or its code.
        #[serde(default)]
        pub reason: Option<toml::Value>,
    }
}

step_kind! {
    /// `acme_renewal_info`: `GET /acme/renewal-info/{certID}` of a downloaded certificate; expect
    /// the window with `window_start_days_min`/`_max` (days after the certificate's notBefore).
    pub struct AcmeRenewalInfo {
        #[serde(default = "default_name")]
        pub cert: String,
    }
}

step_kind! {
    /// `acme_chaos`: replaces the gateway's chaos document (`PUT /_admin/acme/chaos`; `{}` turns
    /// every knob off). The document in force before the scenario is put back after it.
    pub struct AcmeChaos {
        pub chaos: toml::Table,
    }
}

/// The statuses of an order (RFC 8555 §7.1.6).
pub const ORDER_STATUSES: [&str; 5] = ["pending", "ready", "processing", "valid", "invalid"];

/// The challenge types `acme_challenge` knows.
pub const CHALLENGE_TYPES: [&str; 4] = ["any", "http-01", "dns-01", "tls-alpn-01"];

/// RFC 5280 §5.3.1 revocation reasons by name (7 is unused).
pub const REVOCATION_REASONS: [(&str, u8); 10] = [
    ("unspecified", 0),
    ("keyCompromise", 1),
    ("cACompromise", 2),
    ("affiliationChanged", 3),
    ("superseded", 4),
    ("cessationOfOperation", 5),
    ("certificateHold", 6),
    ("removeFromCRL", 8),
    ("privilegeWithdrawn", 9),
    ("aACompromise", 10),
];

impl AcmeRevoke {
    /// The reason code the step asks for, or why it is not one.
    pub fn reason_code(&self) -> Result<Option<u8>, String> {
        match &self.reason {
            None => Ok(None),
            Some(toml::Value::Integer(n)) => u8::try_from(*n)
                .ok()
                .filter(|n| REVOCATION_REASONS.iter().any(|(_, c)| c == n))
                .map(Some)
                .ok_or_else(|| format!("{n} is not an RFC 5280 reason code")),
            Some(toml::Value::String(name)) => REVOCATION_REASONS
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, c)| Some(*c))
                .ok_or_else(|| {
                    let names: Vec<&str> = REVOCATION_REASONS.iter().map(|(n, _)| *n).collect();
                    format!("'{name}' is not a reason: use {}", names.join(", "))
                }),
            Some(other) => Err(format!("{other} is neither a reason name nor a code")),
        }
    }
}
