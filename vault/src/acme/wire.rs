//! The ACME objects on the wire (RFC 8555 §7.1): the URLs of one vault's gateway ([`Urls`],
//! every URL the gateway writes is `{base}/acme/…`) and the JSON of accounts, orders,
//! authorizations and challenges built from the `model::acme` records.

use crate::model::acme::{
    AccountRecord, AccountStatus, AuthzRecord, ChallengeRecord, IdentifierType, OrderRecord,
    StoredProblem,
};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The URLs of one vault's gateway, as seen by this request's client.
#[derive(Debug, Clone)]
pub struct Urls {
    /// `https://host[:port]/acme`.
    root: String,
}

impl Urls {
    /// `base` is `https://host[:port]` (the vault the request's host names).
    pub fn new(base: &str) -> Self {
        Urls {
            root: format!("{}/acme", base.trim_end_matches('/')),
        }
    }

    /// `https://host[:port]/acme`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// `{root}/{path}`.
    pub fn at(&self, path: &str) -> String {
        format!("{}/{path}", self.root)
    }

    pub fn directory(&self) -> String {
        self.at("directory")
    }

    pub fn account(&self, id: &str) -> String {
        self.at(&format!("acct/{id}"))
    }

    /// The account id a `kid` names, when it is one of this gateway's account URLs.
    pub fn account_id<'a>(&self, kid: &'a str) -> Option<&'a str> {
        kid.strip_prefix(self.root.as_str())?
            .strip_prefix("/acct/")
            .filter(|id| !id.is_empty() && !id.contains('/'))
    }

    pub fn orders(&self, account_id: &str) -> String {
        self.at(&format!("acct/{account_id}/orders"))
    }

    pub fn order(&self, id: &str) -> String {
        self.at(&format!("order/{id}"))
    }

    pub fn finalize(&self, order_id: &str) -> String {
        self.at(&format!("order/{order_id}/finalize"))
    }

    pub fn authz(&self, id: &str) -> String {
        self.at(&format!("authz/{id}"))
    }

    pub fn challenge(&self, authz_id: &str, id: &str) -> String {
        self.at(&format!("chall/{authz_id}/{id}"))
    }

    pub fn cert(&self, id: &str) -> String {
        self.at(&format!("cert/{id}"))
    }

    /// Alternate chain `n` (≥ 1) of certificate `id`.
    pub fn cert_alternate(&self, id: &str, n: usize) -> String {
        self.at(&format!("cert/{id}/{n}"))
    }

    /// This vault's CRL (the local CA's certificates point here).
    pub fn crl(&self) -> String {
        self.at("crl")
    }
}

/// Unix seconds as RFC 3339 (UTC); out-of-range values render as the epoch.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// RFC 3339 text as unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// A stored problem as a problem document (RFC 8555 §6.7).
pub fn problem(p: &StoredProblem) -> Value {
    let mut doc = json!({
        "type": format!("urn:ietf:params:acme:error:{}", p.kind),
        "detail": p.detail,
    });
    if !p.subproblems.is_empty() {
        doc["subproblems"] = Value::Array(p.subproblems.clone());
    }
    doc
}

/// RFC 8555 §7.1.2.
pub fn account(urls: &Urls, a: &AccountRecord) -> Value {
    let status = match a.status {
        AccountStatus::Valid => "valid",
        AccountStatus::Deactivated => "deactivated",
        AccountStatus::Revoked => "revoked",
    };
    let mut doc = json!({
        "status": status,
        "contact": a.contact,
        "termsOfServiceAgreed": a.terms_of_service_agreed,
        "orders": urls.orders(&a.id),
        "createdAt": rfc3339(a.created),
    });
    if let Some(kid) = &a.eab_kid {
        doc["externalAccountBinding"] = json!({ "kid": kid });
    }
    doc
}

/// RFC 8555 §7.1.3.
pub fn order(urls: &Urls, o: &OrderRecord) -> Value {
    let mut doc = Map::new();
    doc.insert("status".into(), json!(o.status.as_str()));
    doc.insert("expires".into(), json!(rfc3339(o.expires)));
    doc.insert("identifiers".into(), json!(o.identifiers));
    if let Some(nb) = o.not_before {
        doc.insert("notBefore".into(), json!(rfc3339(nb)));
    }
    if let Some(na) = o.not_after {
        doc.insert("notAfter".into(), json!(rfc3339(na)));
    }
    let authzs: Vec<String> = o.authz_ids.iter().map(|id| urls.authz(id)).collect();
    doc.insert("authorizations".into(), json!(authzs));
    doc.insert("finalize".into(), json!(urls.finalize(&o.id)));
    doc.insert("profile".into(), json!(o.profile));
    if let Some(replaces) = &o.replaces {
        doc.insert("replaces".into(), json!(replaces));
    }
    if let Some(cert) = &o.cert_id {
        doc.insert("certificate".into(), json!(urls.cert(cert)));
    }
    if let Some(error) = &o.error {
        doc.insert("error".into(), problem(error));
    }
    Value::Object(doc)
}

/// RFC 8555 §7.1.4; a wildcard authorization names the base domain with `"wildcard": true`.
pub fn authz(urls: &Urls, a: &AuthzRecord) -> Value {
    let challenges: Vec<Value> = a
        .challenges
        .iter()
        .map(|c| challenge(urls, &a.id, c))
        .collect();
    let mut doc = json!({
        "identifier": a.identifier,
        "status": a.status.as_str(),
        "expires": rfc3339(a.expires),
        "challenges": challenges,
    });
    if a.wildcard {
        doc["wildcard"] = json!(true);
    }
    doc
}

/// RFC 8555 §8.
pub fn challenge(urls: &Urls, authz_id: &str, c: &ChallengeRecord) -> Value {
    let mut doc = json!({
        "type": c.kind,
        "url": urls.challenge(authz_id, &c.id),
        "status": c.status,
        "token": c.token,
    });
    if let Some(at) = c.validated {
        doc["validated"] = json!(rfc3339(at));
    }
    if let Some(error) = &c.error {
        doc["error"] = problem(error);
    }
    doc
}

/// The identifier type's wire name.
pub fn identifier_type(kind: IdentifierType) -> &'static str {
    match kind {
        IdentifierType::Dns => "dns",
        IdentifierType::Ip => "ip",
    }
}
