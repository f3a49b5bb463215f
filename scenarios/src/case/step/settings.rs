//! Step kinds that work on vault's issuers and certificate contacts.

use crate::case::expect::Expect;
use crate::case::setup::Contact;
use serde::Deserialize;

/// `PUT /certificates/issuers/{name}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetIssuer {
    pub name: String,
    pub provider: String,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub pwd: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub body: Option<toml::Value>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// `GET /certificates/issuers/{name}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetIssuer {
    pub name: String,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// `DELETE /certificates/issuers/{name}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteIssuer {
    pub name: String,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// `PUT /certificates/contacts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetContacts {
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// `GET /certificates/contacts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetContacts {
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// `DELETE /certificates/contacts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteContacts {
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}
