//! The authenticated ACME request (RFC 8555 §6.2–§6.5): [`authenticate`] checks the
//! `Content-Type`, reads the flattened JWS, checks its `url` is this request's URL, resolves
//! the signer (`kid` → a `valid` account of this vault, or the `jwk` itself), verifies the
//! signature and redeems the nonce. Handlers get an [`AcmeRequest`] (payload and signer) and
//! the per-request context [`Cx`] (the gateway's state, this vault's, the URLs).

use super::gateway::{Acme, KnownAccount, VaultAcme};
use super::reply::{internal, malformed, unauthorized};
use super::wire::Urls;
use crate::model::acme::AccountStatus;
use crate::store::{Store, StoreResult};
use axum::body::Body;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::acme::jwk::Jwk;
use shared::acme::jws::{Jws, KeyRef};
use shared::acme::problem::{check_jose_content_type, ErrorType, Problem};
use std::sync::Arc;

/// Request bodies larger than this are refused (a CSR with 100 names fits many times).
pub const BODY_LIMIT: usize = 256 * 1024;

/// What every ACME handler is given about the request's gateway and vault.
pub struct Cx {
    pub acme: Arc<Acme>,
    pub vault: Arc<VaultAcme>,
    /// `https://host[:port]` of this request (its vault's).
    pub base: String,
    pub urls: Urls,
}

impl Cx {
    pub fn new(acme: Arc<Acme>, vault: Arc<VaultAcme>, base: &str) -> Cx {
        Cx {
            acme,
            vault,
            base: base.to_string(),
            urls: Urls::new(base),
        }
    }

    /// Unix seconds on the vault clock.
    pub fn now(&self) -> i64 {
        self.acme.now()
    }

    /// A call on this vault's store; a store failure is a logged 500 (`internal`).
    pub async fn store<R, F>(&self, f: F) -> Result<R, Problem>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> StoreResult<R> + Send + 'static,
    {
        self.vault.db.run(f).await.map_err(internal)
    }

    /// Account `id` of this vault, from the cache or the store.
    pub async fn account(&self, id: &str) -> Result<Option<Arc<KnownAccount>>, Problem> {
        self.vault.account(id).await.map_err(internal)
    }
}

/// Who signed the request.
pub enum Signer {
    /// `kid`: a `valid` account of this vault.
    Account(Arc<KnownAccount>),
    /// `jwk`: the key itself (new-account, revocation by certificate key) and the member as
    /// sent (EAB and key-change compare against it).
    Key(Box<Jwk>, Value),
}

/// A verified ACME POST.
pub struct AcmeRequest {
    pub jws: Jws,
    pub signer: Signer,
}

impl AcmeRequest {
    /// The signing account; a `jwk`-signed request is `malformed` here (RFC 8555 §6.2).
    pub fn account(&self) -> Result<&Arc<KnownAccount>, Problem> {
        match &self.signer {
            Signer::Account(a) => Ok(a),
            Signer::Key(..) => Err(malformed(
                "This request must be signed with 'kid' (the account URL), not 'jwk'.",
            )),
        }
    }

    /// Whether the payload is empty: a POST-as-GET (RFC 8555 §6.3).
    pub fn is_post_as_get(&self) -> bool {
        self.jws.payload.is_empty()
    }

    /// Refuses anything but POST-as-GET (resources that are only read).
    pub fn require_post_as_get(&self) -> Result<(), Problem> {
        if self.is_post_as_get() {
            Ok(())
        } else {
            Err(malformed(
                "This resource is read with POST-as-GET (an empty payload).",
            ))
        }
    }

    /// The payload as `T`; anything else is `malformed`.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        serde_json::from_slice(&self.jws.payload)
            .map_err(|e| malformed(format!("The request payload is not valid: {e}.")))
    }
}

/// Authenticates a POST to this vault's gateway (see the module doc).
pub async fn authenticate(cx: &Cx, parts: &Parts, body: Body) -> Result<AcmeRequest, Problem> {
    check_jose_content_type(&parts.headers)?;
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| malformed(format!("The request body is over {BODY_LIMIT} bytes.")))?;
    let jws = Jws::parse(&bytes)?;
    // RFC 8555 §6.4: the `url` header is the URL this request was sent to.
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let expected = format!("{}{path}", cx.base);
    if jws.header.url != expected {
        return Err(unauthorized(format!(
            "The JWS 'url' header ({}) is not the URL of this request ({expected}).",
            jws.header.url
        )));
    }
    let signer = match &jws.header.key {
        KeyRef::Jwk(jwk, value) => {
            jws.verify_with(jwk)?;
            Signer::Key(jwk.clone(), value.clone())
        }
        KeyRef::Kid(kid) => {
            let unknown = || {
                Problem::new(
                    ErrorType::AccountDoesNotExist,
                    format!("No account is known by the 'kid' {kid}."),
                )
            };
            let id = cx.urls.account_id(kid).ok_or_else(unknown)?;
            let account = cx.account(id).await?.ok_or_else(unknown)?;
            if account.record.status != AccountStatus::Valid {
                return Err(unauthorized(format!(
                    "The account {kid} is not valid (it is {:?}).",
                    account.record.status
                )));
            }
            jws.verify_with(&account.key)?;
            Signer::Account(account)
        }
    };
    // Last, so a request that fails the checks above cannot burn someone's nonce.
    cx.acme.nonces.redeem(&jws.header.nonce).map_err(|e| {
        Problem::new(
            ErrorType::BadNonce,
            format!("The JWS nonce is not valid: {e}; retry with the Replay-Nonce of this answer."),
        )
    })?;
    Ok(AcmeRequest { jws, signer })
}
