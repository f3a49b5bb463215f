//! Certificate issuers (spec §3.8, §4.7): partner-CA credentials and organisation details,
//! stored now and used by the partnered flow. `credentials.pwd` is kept (sealed at rest by the
//! store) and never echoed; the http layer strips it.

use super::names::validate_name;
use super::service::Service;
use crate::error::{Error, Result};
use crate::model::{key_of, IssuerRecord};
use crate::store::Change;
use shared::models::{IssuerAttributes, IssuerBundle, ProviderKind};

fn issuer_not_found(name: &str) -> Error {
    Error::NotFound {
        code: "CertificateIssuerNotFound",
        message: format!("Issuer not found: {name}"),
    }
}

fn check_issuer_name(name: &str) -> Result<()> {
    validate_name(name, "issuer name")?;
    if name.eq_ignore_ascii_case("Self") || name.eq_ignore_ascii_case("Unknown") {
        return Err(Error::bad(format!(
            "'{name}' is reserved for the built-in issuers and cannot name an issuer object."
        )));
    }
    Ok(())
}

/// The provider as stored: known partner providers in canonical casing, anything else as
/// given (Azure treats it as free text at set time; the SDK tests use "Test"). Only a create
/// through such an issuer finds out whether an adapter exists.
fn canonical_provider(provider: &str) -> Result<String> {
    let provider = provider.trim();
    if provider.is_empty() {
        return Err(Error::bad("The issuer's provider must not be empty."));
    }
    Ok(provider
        .parse::<ProviderKind>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|_| provider.to_string()))
}

impl Service {
    pub async fn issuer(&self, name: &str) -> Result<IssuerRecord> {
        check_issuer_name(name)?;
        let key = key_of(name);
        self.db
            .run(move |s| s.issuer(&key))
            .await?
            .ok_or_else(|| issuer_not_found(name))
    }

    pub async fn issuers(&self, after: Option<String>, limit: usize) -> Result<Vec<IssuerRecord>> {
        Ok(self
            .db
            .run(move |s| s.issuers(after.as_deref(), limit))
            .await?)
    }

    /// `PUT`: create or replace.
    pub async fn set_issuer(&self, name: &str, body: IssuerBundle) -> Result<IssuerRecord> {
        check_issuer_name(name)?;
        let provider = body
            .provider
            .as_deref()
            .ok_or_else(|| Error::bad("The issuer needs a 'provider'."))?;
        let provider = canonical_provider(provider)?;
        let key = key_of(name);
        let _guard = self.issuance.locks.lock(&format!("issuer:{key}")).await;
        let k = key.clone();
        let existing = self.db.run(move |s| s.issuer(&k)).await?;
        let now = self.now();
        let created = existing
            .as_ref()
            .and_then(|e| e.bundle.attributes.as_ref())
            .and_then(|a| a.created)
            .unwrap_or(now);
        let record = IssuerRecord {
            key,
            name: existing.map_or_else(|| name.to_string(), |e| e.name),
            bundle: IssuerBundle {
                id: None,
                provider: Some(provider),
                credentials: body.credentials,
                org_details: body.org_details,
                attributes: Some(IssuerAttributes {
                    enabled: Some(body.attributes.and_then(|a| a.enabled).unwrap_or(true)),
                    created: Some(created),
                    updated: Some(now),
                }),
            },
        };
        let change = Change::PutIssuer(record.clone());
        self.db.run(move |s| s.apply(vec![change])).await?;
        Ok(record)
    }

    /// `PATCH`: member-by-member merge (Python sends only what changed, spec §11).
    pub async fn update_issuer(&self, name: &str, patch: IssuerBundle) -> Result<IssuerRecord> {
        check_issuer_name(name)?;
        let key = key_of(name);
        let _guard = self.issuance.locks.lock(&format!("issuer:{key}")).await;
        let mut record = self.issuer(name).await?;
        let bundle = &mut record.bundle;
        if let Some(provider) = patch.provider {
            bundle.provider = Some(canonical_provider(&provider)?);
        }
        if let Some(c) = patch.credentials {
            let cur = bundle.credentials.get_or_insert_with(Default::default);
            if c.account_id.is_some() {
                cur.account_id = c.account_id;
            }
            if c.pwd.is_some() {
                cur.pwd = c.pwd;
            }
        }
        if let Some(o) = patch.org_details {
            let cur = bundle.org_details.get_or_insert_with(Default::default);
            if o.id.is_some() {
                cur.id = o.id;
            }
            if o.admin_details.is_some() {
                cur.admin_details = o.admin_details;
            }
        }
        let attrs = bundle.attributes.get_or_insert_with(Default::default);
        if let Some(enabled) = patch.attributes.and_then(|a| a.enabled) {
            attrs.enabled = Some(enabled);
        }
        attrs.updated = Some(self.now());
        let change = Change::PutIssuer(record.clone());
        self.db.run(move |s| s.apply(vec![change])).await?;
        Ok(record)
    }

    pub async fn delete_issuer(&self, name: &str) -> Result<IssuerRecord> {
        check_issuer_name(name)?;
        let key = key_of(name);
        let _guard = self.issuance.locks.lock(&format!("issuer:{key}")).await;
        let record = self.issuer(name).await?;
        let change = Change::DeleteIssuer { key };
        self.db.run(move |s| s.apply(vec![change])).await?;
        Ok(record)
    }
}
