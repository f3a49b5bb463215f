//! The token service's state ([`Identity`]): the signing key, the principals (read from the
//! access document at each request, so runtime changes apply), the tenant, the
//! managed-identity header, the admin token and the cache of verified tokens. Its
//! behaviour lives beside it: [`super::verify`] (Key Vault's side), [`super::issue`]
//! (minting), the endpoints in [`super::routes`].

use super::cache::TokenCache;
use super::files::{admin_token, identity_dir, secret_file};
use super::keys::SigningKey;
use crate::access::{Access, AccessDoc, Principal};
use crate::config::Config;
use crate::error::Error;
use std::sync::Arc;

pub use crate::access::doc::DEFAULT_TENANT;

/// The tenant of `doc`: its `tenant_id`, else [`DEFAULT_TENANT`].
pub fn tenant_of(doc: &AccessDoc) -> &str {
    doc.tenant()
}

/// `iss` of the access tokens of `tenant` (Entra v1 tokens).
pub fn issuer(tenant: &str) -> String {
    format!("https://sts.windows.net/{tenant}/")
}

pub struct Identity {
    pub(super) key: SigningKey,
    pub(super) access: Arc<Access>,
    /// The `X-IDENTITY-HEADER` App Service-style managed-identity callers must send.
    pub(super) identity_header: String,
    /// `--hostname`s (lower-cased): hosts a token's resource may name besides the built-in ones.
    pub(super) hostnames: Vec<String>,
    pub(super) cache: TokenCache,
    admin_token: String,
}

impl Identity {
    /// Loads (or generates, once) the signing key, the managed-identity header and the admin
    /// token from the data dir, off the async executor.
    pub async fn start(config: &Config, access: Arc<Access>) -> Result<Identity, Error> {
        let data_dir = config.data_dir.clone();
        let header = config.identity_header.clone();
        let admin = config.admin_token.clone();
        let (key, identity_header, admin_token) = tokio::task::spawn_blocking(move || {
            let dir = identity_dir(&data_dir);
            let key = SigningKey::load_or_generate(&dir)?;
            let identity_header = secret_file(
                &dir.join("identity-header"),
                header.as_deref(),
                "managed-identity header (X-IDENTITY-HEADER)",
            )?;
            let admin_token = admin_token(&data_dir, admin.as_deref())?;
            Ok::<_, Error>((key, identity_header, admin_token))
        })
        .await
        .map_err(|e| Error::Internal(format!("identity setup task: {e}")))??;
        let identity = Identity {
            key,
            access,
            identity_header,
            hostnames: config
                .hostnames
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            cache: TokenCache::default(),
            admin_token,
        };
        tracing::info!(
            tenant = %identity.tenant(),
            kid = %identity.key.kid,
            "token service ready (--auth entra)"
        );
        Ok(identity)
    }

    /// The tenant tokens are issued in, as the access document says now.
    pub fn tenant(&self) -> String {
        tenant_of(&self.access.doc()).to_string()
    }

    /// The bearer token `/_admin/*` requires (`--admin-token` or the generated one).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The signing key's id (`kid`, also `x5t`).
    pub fn kid(&self) -> &str {
        &self.key.kid
    }

    /// The principal with this client id (case-insensitive, as GUIDs compare).
    pub(super) fn principal(&self, client_id: &str) -> Option<Principal> {
        self.access
            .doc()
            .principals
            .iter()
            .find(|p| p.client_id.eq_ignore_ascii_case(client_id))
            .cloned()
    }
}
