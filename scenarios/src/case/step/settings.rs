//! Step kinds that work on vault's issuers and certificate contacts.

use super::kind::step_kind;
use crate::case::setup::Contact;

step_kind! {
    /// `PUT /certificates/issuers/{name}`.
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
    }
}

step_kind! {
    /// `GET /certificates/issuers/{name}`.
    pub struct GetIssuer {
        pub name: String,
    }
}

step_kind! {
    /// `DELETE /certificates/issuers/{name}`.
    pub struct DeleteIssuer {
        pub name: String,
    }
}

step_kind! {
    /// `PUT /certificates/contacts`.
    pub struct SetContacts {
        pub contacts: Vec<Contact>,
    }
}

step_kind! {
    /// `GET /certificates/contacts`.
    pub struct GetContacts {
    }
}

step_kind! {
    /// `DELETE /certificates/contacts`.
    pub struct DeleteContacts {
    }
}
