//! The contract between the issuance worker and the partner-CA adapters: the [`CaProvider`]
//! trait, what an adapter is given ([`OrderRequest`] with its [`Credentials`] and
//! [`CertType`]), what it answers ([`Submitted`], [`OrderStatus`], [`CancelOutcome`]) and how a
//! call fails ([`ProviderError`], classified for the worker's retry rules). It imports nothing
//! of the adapters', so every adapter file and the worker can depend on it.

use shared::models::{AdministratorDetails, ProviderKind};
use std::time::Duration;

/// What the issuer object carries (partner-dialects.md §1.3).
#[derive(Clone, Default, PartialEq)]
pub struct Credentials {
    /// DigiCert account id, GlobalSign user name, WoSign account id, ACME EAB key id.
    pub account_id: Option<String>,
    /// DigiCert API key, GlobalSign password, WoSign API key, ACME EAB HMAC key (base64url).
    pub pwd: Option<String>,
    /// DigiCert organization id; the ACME profile for ACME issuers.
    pub org_id: Option<String>,
    /// GlobalSign administrator contact (first of `org_details.admin_details`).
    pub admin: Option<AdministratorDetails>,
    /// The vault issuer's name: adapters that keep state per issuer (the ACME account) key it
    /// by this.
    pub issuer: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password or key.
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("org_id", &self.org_id)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// The product family, from `policy.issuer.cty` (OV-SSL, EV-SSL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertType {
    Ov,
    Ev,
}

impl CertType {
    /// `cty` as Key Vault spells it; anything but EV means OV.
    pub fn from_cty(cty: Option<&str>) -> Self {
        match cty {
            Some(c) if c.to_ascii_uppercase().starts_with("EV") => CertType::Ev,
            _ => CertType::Ov,
        }
    }
}

/// One certificate order, as the worker hands it to an adapter.
#[derive(Debug, Clone)]
pub struct OrderRequest {
    /// Vault's request id for the operation: unique, stable across retries and restarts. Adapters
    /// use it where the dialect lets a client name or find its order.
    pub reference: String,
    /// PKCS#10 DER.
    pub csr_der: Vec<u8>,
    pub common_name: Option<String>,
    /// DNS subject alternative names requested.
    pub dns_names: Vec<String>,
    pub cert_type: CertType,
    pub validity_months: u32,
    pub cert_transparency: Option<bool>,
    pub credentials: Credentials,
}

/// The CA's view of an order.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderStatus {
    /// Not issued yet; `ca_status` is the vendor's word for it (shown in status_details).
    Pending { ca_status: String },
    /// Issued: the chain as the CA delivered it (DER, in the CA's order).
    Issued { chain: Vec<Vec<u8>> },
    /// The CA refused the request (validation failed, denied, rejected).
    Rejected { message: String },
    /// Cancelled at the CA (by us or by the CA).
    Cancelled { message: String },
    /// Revoked or expired before we collected it.
    Revoked { message: String },
}

/// The answer to a submission: the CA's order id and what it said about the order right away
/// (issued immediately under some profiles).
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub order_id: String,
    pub status: OrderStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CancelOutcome {
    /// The CA confirmed the cancellation.
    Cancelled,
    /// Too late: the CA had already issued; the worker collects the certificate.
    AlreadyIssued,
    /// The order was already in a final state other than issued (message from the CA).
    AlreadyFinal(String),
}

impl CancelOutcome {
    /// A cancel call's outcome for a CA that refuses to cancel an order already past it: a
    /// refusal is settled by `state`, which reads the order and names the outcome (`None`: the
    /// refusal stands).
    pub(crate) async fn settle<T, Fut>(
        sent: Result<T, ProviderError>,
        state: impl FnOnce() -> Fut,
    ) -> Result<Self, ProviderError>
    where
        Fut: std::future::Future<Output = Result<Option<Self>, ProviderError>>,
    {
        match sent {
            Ok(_) => Ok(CancelOutcome::Cancelled),
            Err(ProviderError::Refused { message }) => {
                state().await?.ok_or(ProviderError::Refused { message })
            }
            Err(e) => Err(e),
        }
    }
}

/// Why a CA call failed, classified by what the CA may have done (see `providers::http`):
/// whether the request can have reached the CA decides whether a state-changing call (submit,
/// cancel) may simply be sent again or must first be resolved by a lookup.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The request never left this machine (connection refused, DNS, TLS handshake failure):
    /// the CA cannot have acted, so the same call may be sent again as is.
    #[error("{message}")]
    NotSent { message: String },
    /// The CA turned the request away before acting on it, as its documentation says of this
    /// answer (DigiCert's 429 `request_limit_exceeded`): send it again after `retry_after`.
    #[error("{message}")]
    Throttled {
        message: String,
        retry_after: Option<Duration>,
    },
    /// The request may have reached the CA and what it did is unknown: 5xx, a vendor's "busy,
    /// retry" code, a timeout, a reset, a truncated or unreadable answer, a 429 the vendor does
    /// not document. A read is simply retried; a submit or cancel is resolved by a lookup
    /// first. `retry_after` when the CA asked for a pause.
    #[error("{message}")]
    Ambiguous {
        message: String,
        retry_after: Option<Duration>,
    },
    /// The CA says an order with vault's own handle already exists (GlobalSign -105 for the
    /// pre-allocated OrderID): an earlier attempt arrived, so look it up instead of failing.
    #[error("{message}")]
    Exists { message: String },
    /// Bad or missing credentials, account disabled, permission missing: permanent.
    #[error("{message}")]
    Credentials { message: String },
    /// The CA refused the request itself (bad CSR, validation, balance, not found): permanent.
    #[error("{message}")]
    Refused { message: String },
    /// The issuer object lacks what this dialect needs (org id, admin contact): permanent.
    #[error("{message}")]
    Config { message: String },
}

impl ProviderError {
    /// [`ProviderError::Ambiguous`] with no pause asked for: an answer that arrived but cannot
    /// be read (not JSON/XML, a field missing) or that leaves what the CA did unknown.
    pub fn unreadable(message: impl Into<String>) -> Self {
        ProviderError::Ambiguous {
            message: message.into(),
            retry_after: None,
        }
    }

    /// Whether retrying later can succeed (after a lookup, for an ambiguous state change).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::NotSent { .. }
                | ProviderError::Throttled { .. }
                | ProviderError::Ambiguous { .. }
        )
    }

    /// Whether the CA may have carried out the request: a submit or cancel that failed this
    /// way is followed by a lookup before anything else.
    pub fn may_have_acted(&self) -> bool {
        matches!(self, ProviderError::Ambiguous { .. })
    }

    /// The pause the CA asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Throttled { retry_after, .. }
            | ProviderError::Ambiguous { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The class as a metric label.
    pub fn class(&self) -> &'static str {
        match self {
            ProviderError::NotSent { .. } => "not_sent",
            ProviderError::Throttled { .. } => "throttled",
            ProviderError::Ambiguous { .. } => "ambiguous",
            ProviderError::Exists { .. } => "exists",
            ProviderError::Credentials { .. } => "credentials",
            ProviderError::Refused { .. } => "refused",
            ProviderError::Config { .. } => "config",
        }
    }
}

/// One vendor dialect.
#[async_trait::async_trait]
pub trait CaProvider: Send + Sync + 'static {
    fn kind(&self) -> ProviderKind;

    /// Places the order. Called at most once per operation unless `find` said the CA has no
    /// order for `order.reference`.
    async fn submit(&self, order: &OrderRequest) -> Result<Submitted, ProviderError>;

    /// After a submission whose outcome is unknown (crash, no answer): the CA's order id for
    /// this request, or `None` when the CA has no such order (then it is safe to submit).
    async fn find(&self, order: &OrderRequest) -> Result<Option<String>, ProviderError>;

    /// The current state of an order; fetches the chain once issued.
    async fn poll(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<OrderStatus, ProviderError>;

    async fn cancel(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<CancelOutcome, ProviderError>;
}
