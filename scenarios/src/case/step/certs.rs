//! Step kinds that work on certificates and their versions, deleted certificates, lists and
//! backups (`create`, `import`, `get`, `update`, `delete`, `get_deleted`, `recover`, `purge`,
//! `list`, `backup`, `restore`).

use super::kind::step_kind;
use serde::Deserialize;

step_kind! {
    /// `POST /certificates/{name}/create`.
    pub struct Create {
        pub name: String,
        /// `Self` (default), `Unknown`, or a vault issuer's name.
        #[serde(default)]
        pub issuer: Option<String>,
        #[serde(default)]
        pub subject: Option<String>,
        #[serde(default)]
        pub dns_names: Vec<String>,
        #[serde(default)]
        pub key_type: Option<String>,
        #[serde(default)]
        pub key_size: Option<u32>,
        #[serde(default)]
        pub curve: Option<String>,
        #[serde(default)]
        pub validity_months: Option<u32>,
        /// Issuer certificate type (`OV-SSL`, `EV-SSL`); partner issuers default to `OV-SSL`.
        #[serde(default)]
        pub cty: Option<String>,
        /// `application/x-pkcs12` (default) or `application/x-pem-file`.
        #[serde(default)]
        pub content_type: Option<String>,
        /// The policy's `key_props.reuse_key` (default false).
        #[serde(default)]
        pub reuse_key: Option<bool>,
        /// The policy's lifetime actions (vault's default when empty: AutoRenew at 80 %, or
        /// EmailContacts for issuer Unknown).
        #[serde(default)]
        pub lifetime_actions: Vec<LifetimeActionSpec>,
        /// Tags of the new version.
        #[serde(default)]
        pub tags: Option<toml::Table>,
        /// Send this body verbatim instead of building one from the fields above.
        #[serde(default)]
        pub body: Option<toml::Value>,
    }
}

step_kind! {
    /// `POST /certificates/{name}/import` of a key and certificate the runner makes.
    pub struct Import {
        pub name: String,
        /// `pfx` (default) or `pem`.
        #[serde(default)]
        pub format: Option<String>,
        #[serde(default)]
        pub subject: Option<String>,
        #[serde(default)]
        pub dns_names: Vec<String>,
        #[serde(default)]
        pub key_type: Option<String>,
        #[serde(default)]
        pub key_size: Option<u32>,
        #[serde(default)]
        pub curve: Option<String>,
        /// Leave the private key out (the import must be refused).
        #[serde(default)]
        pub without_key: bool,
        /// Make the certificate expired (the import must be refused).
        #[serde(default)]
        pub expired: bool,
        /// Send this body verbatim.
        #[serde(default)]
        pub body: Option<toml::Value>,
    }
}

step_kind! {
    /// `GET /certificates/{name}/{version}` (latest by default).
    pub struct Get {
        pub name: String,
        #[serde(default)]
        pub version: Option<String>,
    }
}

step_kind! {
    /// `PATCH /certificates/{name}` with attributes and tags.
    pub struct Update {
        pub name: String,
        #[serde(default)]
        pub enabled: Option<bool>,
        #[serde(default)]
        pub tags: Option<toml::Table>,
    }
}

step_kind! {
    /// `DELETE /certificates/{name}` (soft delete).
    pub struct Delete {
        pub name: String,
    }
}

step_kind! {
    /// `GET /deletedcertificates/{name}`.
    pub struct GetDeleted {
        pub name: String,
    }
}

step_kind! {
    /// `POST /deletedcertificates/{name}/recover`.
    pub struct Recover {
        pub name: String,
    }
}

step_kind! {
    /// `DELETE /deletedcertificates/{name}`.
    pub struct Purge {
        pub name: String,
    }
}

step_kind! {
    /// Lists certificates, versions of one, deleted certificates or issuers (every page).
    pub struct List {
        pub of: ListOf,
        #[serde(default)]
        pub name: Option<String>,
    }
}

step_kind! {
    /// `POST /certificates/{name}/backup`; the blob is kept under `save_as`.
    pub struct Backup {
        pub name: String,
        pub save_as: String,
    }
}

step_kind! {
    /// `POST /certificates/restore` with a blob saved by `backup`.
    pub struct Restore {
        pub from: String,
    }
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

/// What `list` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListOf {
    Certificates,
    Versions,
    Deleted,
    Issuers,
}
