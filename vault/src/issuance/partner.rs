//! Partnered issuance (spec §4.1 table, partner-dialects.md §1.4): one step of a partnered
//! operation per call. Every step reads the operation, talks to the CA at most once, and
//! records the outcome under the name lock, so a crash at any point resumes correctly:
//!
//! - `New`: persist `Submitting`, then submit. An answer moves to `Submitted`; a definite
//!   refusal fails the operation; "the CA did not act" (429, 5xx) goes back to `New`.
//! - `Submitting` (a crash or a lost answer): ask the CA for the order by our reference;
//!   found → `Submitted`, absent → submit again. Never submit twice blindly.
//! - `Submitted`: poll. Pending → back-off; issued → validate the chain and complete; rejected,
//!   cancelled, revoked → `failed` with the CA's message.
//! - A cancellation request is forwarded to the CA: `cancelled` when it confirms, `completed`
//!   when it had already issued.
//!
//! Transient failures are retried with back-off (honouring Retry-After) until the operation's
//! deadline; then the operation fails with the last error.

use super::chain;
use super::worker::Issuance;
use crate::model::{key_of, Ending, OperationRecord, ProviderPhase, ProviderState, VersionRecord};
use crate::providers::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderRequest, OrderStatus, ProviderError,
};
use crate::store::{Change, StoreError};
use shared::crypto;
use shared::models::{OperationStatus, ProviderKind};
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// Key Vault's error codes for a failed partnered operation (partner-dialects.md §1.4).
const ISSUER_ERROR: &str = "Certificate issuer error";
const REQUEST_REJECTED: &str = "Request rejected";
/// Longest wait between two looks at one operation.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What a step decided; applied under the name lock by [`Issuance::record`].
enum Outcome {
    /// Keep going: new provider state and when to look again.
    Continue {
        state: ProviderState,
        details: String,
        after: Duration,
    },
    Complete {
        chain: Vec<Vec<u8>>,
        leaf_index: usize,
        nbf: i64,
        exp: i64,
    },
    Fail {
        code: &'static str,
        message: String,
    },
    Cancelled {
        message: String,
    },
}

impl Issuance {
    /// One step of a partnered operation.
    pub(super) async fn advance_partnered(&self, op: OperationRecord) {
        let outcome = self.partner_step(&op).await;
        if let Err(e) = self.record(&op, outcome).await {
            warn!(error = %e, "cannot record partner step; will retry");
        }
    }

    /// Runs one CA call and records its latency and outcome.
    async fn ca<T>(
        &self,
        provider: ProviderKind,
        call: &'static str,
        fut: impl std::future::Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        let started = std::time::Instant::now();
        let result = fut.await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) if e.is_retryable() => "retryable",
            Err(_) => "refused",
        };
        self.metrics
            .ca_call(provider.as_str(), call, outcome, started.elapsed());
        result
    }

    /// Finds the adapter and credentials for the operation's issuer.
    async fn adapter(
        &self,
        op: &OperationRecord,
    ) -> Result<(Arc<dyn CaProvider>, Credentials), Outcome> {
        let key = key_of(&op.issuer_name);
        let issuer = match self.db.run(move |s| s.issuer(&key)).await {
            Ok(Some(issuer)) => issuer,
            Ok(None) => {
                return Err(Outcome::Fail {
                    code: ISSUER_ERROR,
                    message: format!(
                        "The issuer '{}' no longer exists in this vault.",
                        op.issuer_name
                    ),
                })
            }
            Err(e) => {
                return Err(Outcome::Continue {
                    state: op.provider.clone().unwrap_or_default(),
                    details: format!("Waiting for the vault's store: {e}"),
                    after: Duration::from_secs(1),
                })
            }
        };
        let provider = issuer.bundle.provider.clone().unwrap_or_default();
        let adapter = provider
            .parse::<ProviderKind>()
            .ok()
            .and_then(|kind| self.providers.get(kind));
        let Some(adapter) = adapter else {
            return Err(Outcome::Fail {
                code: ISSUER_ERROR,
                message: no_endpoint_message(&op.issuer_name, &provider),
            });
        };
        let credentials = Credentials {
            account_id: issuer
                .bundle
                .credentials
                .as_ref()
                .and_then(|c| c.account_id.clone()),
            pwd: issuer
                .bundle
                .credentials
                .as_ref()
                .and_then(|c| c.pwd.clone()),
            org_id: issuer
                .bundle
                .org_details
                .as_ref()
                .and_then(|o| o.id.clone()),
            admin: issuer
                .bundle
                .org_details
                .as_ref()
                .and_then(|o| o.admin_details.as_ref())
                .and_then(|a| a.first().cloned()),
        };
        Ok((adapter, credentials))
    }

    async fn partner_step(&self, op: &OperationRecord) -> Outcome {
        let (adapter, credentials) = match self.adapter(op).await {
            Ok(found) => found,
            Err(outcome) => return outcome,
        };
        let mut state = op.provider.clone().unwrap_or_default();
        let order = order_request(op, credentials.clone(), &state);

        if op.cancellation_requested {
            return self.cancel_step(adapter.as_ref(), &order, state, op).await;
        }
        match state.phase {
            ProviderPhase::New => {
                // Written before the CA is called: a crash from here on leads to a lookup.
                state.phase = ProviderPhase::Submitting;
                state.submit_started.get_or_insert(self.clock.unix());
                if let Err(e) = self
                    .save_state(op, &state, "Submitting the order to the CA.")
                    .await
                {
                    return retry(
                        state,
                        format!("cannot persist submission state: {e}"),
                        None,
                        op,
                        self,
                    );
                }
                match self
                    .ca(adapter.kind(), "submit", adapter.submit(&order))
                    .await
                {
                    Ok(submitted) => {
                        info!(ca.order_id = %submitted.order_id, provider = %adapter.kind(), "order submitted to the CA");
                        state.phase = ProviderPhase::Submitted;
                        state.order_id = Some(submitted.order_id);
                        state.failures = 0;
                        self.on_status(op, state, submitted.status)
                    }
                    Err(e @ (ProviderError::NoAnswer { .. } | ProviderError::Malformed { .. })) => {
                        // The CA may have created the order: find it next time.
                        retry(state, e.to_string(), None, op, self)
                    }
                    Err(ProviderError::Transient {
                        message,
                        retry_after,
                    }) => {
                        state.phase = ProviderPhase::New;
                        retry(state, message, retry_after, op, self)
                    }
                    Err(e) => permanent(e),
                }
            }
            ProviderPhase::Submitting => {
                match self.ca(adapter.kind(), "find", adapter.find(&order)).await {
                    Ok(Some(order_id)) => {
                        info!(ca.order_id = %order_id, "found the order submitted before the interruption");
                        state.phase = ProviderPhase::Submitted;
                        state.order_id = Some(order_id);
                        state.failures = 0;
                        Outcome::Continue {
                            state,
                            details: "Found the order at the CA; polling it.".into(),
                            after: Duration::ZERO,
                        }
                    }
                    Ok(None) => {
                        state.phase = ProviderPhase::New;
                        Outcome::Continue {
                            state,
                            details: "The CA has no order for this request; submitting it.".into(),
                            after: Duration::ZERO,
                        }
                    }
                    Err(e) if e.is_retryable() => retry(state, e.to_string(), None, op, self),
                    Err(e) => Outcome::Fail {
                        code: ISSUER_ERROR,
                        message: format!(
                        "The order's submission was interrupted and the CA cannot be asked whether \
                         it arrived ({e}); it was not submitted again to avoid a duplicate order."
                    ),
                    },
                }
            }
            ProviderPhase::Submitted => {
                let Some(order_id) = state.order_id.clone() else {
                    state.phase = ProviderPhase::Submitting;
                    return Outcome::Continue {
                        state,
                        details: "Looking up the order at the CA.".into(),
                        after: Duration::ZERO,
                    };
                };
                match self
                    .ca(
                        adapter.kind(),
                        "poll",
                        adapter.poll(&credentials, &order_id),
                    )
                    .await
                {
                    Ok(status) => {
                        state.failures = 0;
                        self.on_status(op, state, status)
                    }
                    Err(e) if e.is_retryable() => {
                        let retry_after = match &e {
                            ProviderError::Transient { retry_after, .. } => *retry_after,
                            _ => None,
                        };
                        retry(state, e.to_string(), retry_after, op, self)
                    }
                    Err(e) => permanent(e),
                }
            }
        }
    }

    async fn cancel_step(
        &self,
        adapter: &dyn CaProvider,
        order: &OrderRequest,
        mut state: ProviderState,
        op: &OperationRecord,
    ) -> Outcome {
        let order_id = match (&state.phase, state.order_id.clone()) {
            (ProviderPhase::New, _) => {
                return Outcome::Cancelled {
                    message: "Cancelled before the order was sent to the CA.".into(),
                }
            }
            (_, Some(id)) => id,
            (_, None) => match self.ca(adapter.kind(), "find", adapter.find(order)).await {
                Ok(Some(id)) => id,
                Ok(None) => {
                    return Outcome::Cancelled {
                        message: "Cancelled; the CA never received the order.".into(),
                    }
                }
                Err(e) if e.is_retryable() => return retry(state, e.to_string(), None, op, self),
                Err(e) => {
                    return Outcome::Cancelled {
                        message: format!(
                        "Cancelled in the vault; the CA could not be asked about the order ({e})."
                    ),
                    }
                }
            },
        };
        state.order_id = Some(order_id.clone());
        match self
            .ca(
                adapter.kind(),
                "cancel",
                adapter.cancel(&order.credentials, &order_id),
            )
            .await
        {
            Ok(CancelOutcome::Cancelled) => Outcome::Cancelled {
                message: format!("The CA cancelled order {order_id}."),
            },
            Ok(CancelOutcome::AlreadyIssued) => {
                // Too late: the certificate exists; collect it ("may or may not be cancelled").
                match self
                    .ca(
                        adapter.kind(),
                        "poll",
                        adapter.poll(&order.credentials, &order_id),
                    )
                    .await
                {
                    Ok(OrderStatus::Issued { chain }) => self.complete_with(op, chain),
                    Ok(other) => self.on_status(op, state, other),
                    Err(e) if e.is_retryable() => retry(state, e.to_string(), None, op, self),
                    Err(e) => permanent(e),
                }
            }
            Ok(CancelOutcome::AlreadyFinal(message)) => Outcome::Cancelled { message },
            Err(e) if e.is_retryable() => retry(state, e.to_string(), None, op, self),
            Err(e) => Outcome::Cancelled {
                message: format!(
                    "Cancelled in the vault; the CA refused to cancel order {order_id}: {e}"
                ),
            },
        }
    }

    fn on_status(
        &self,
        op: &OperationRecord,
        mut state: ProviderState,
        status: OrderStatus,
    ) -> Outcome {
        match status {
            OrderStatus::Pending { ca_status } => {
                state.polls += 1;
                let after = backoff(
                    self.settings.poll_interval,
                    state.polls.saturating_sub(1),
                    1.5,
                );
                Outcome::Continue {
                    state,
                    details: format!(
                        "Pending certificate created. Certificate request is in progress. The CA reports the order as '{ca_status}'."
                    ),
                    after,
                }
            }
            OrderStatus::Issued { chain } => self.complete_with(op, chain),
            OrderStatus::Rejected { message } => Outcome::Fail {
                code: REQUEST_REJECTED,
                message,
            },
            OrderStatus::Cancelled { message } if op.cancellation_requested => {
                Outcome::Cancelled { message }
            }
            OrderStatus::Cancelled { message } => Outcome::Fail {
                code: REQUEST_REJECTED,
                message: format!("The CA cancelled the order: {message}"),
            },
            OrderStatus::Revoked { message } => Outcome::Fail {
                code: ISSUER_ERROR,
                message: format!(
                    "The CA revoked the certificate before it was collected: {message}"
                ),
            },
        }
    }

    /// Checks the CA's chain against the pending key and the request (design: vault validates
    /// before it completes the version).
    fn complete_with(&self, op: &OperationRecord, chain_der: Vec<Vec<u8>>) -> Outcome {
        match validate_chain(op, chain_der) {
            Ok(valid) => Outcome::Complete {
                chain: valid.chain,
                leaf_index: 0,
                nbf: valid.nbf,
                exp: valid.exp,
            },
            Err(message) => Outcome::Fail {
                code: ISSUER_ERROR,
                message: format!("The CA returned an unusable certificate: {message}"),
            },
        }
    }

    /// Persists the provider state alone (used right before a submission).
    async fn save_state(
        &self,
        op: &OperationRecord,
        state: &ProviderState,
        details: &str,
    ) -> Result<bool, StoreError> {
        let state = state.clone();
        let details = details.to_string();
        self.update_current(op, move |current, _| {
            current.provider = Some(state);
            current.status_details = Some(details);
            Vec::new()
        })
        .await
    }

    /// Applies an outcome to the operation if it is still the one we worked on.
    async fn record(&self, op: &OperationRecord, outcome: Outcome) -> Result<bool, StoreError> {
        let now = self.clock.unix();
        let now_ms = self.clock.unix_ms();
        let finished = !matches!(outcome, Outcome::Continue { .. });
        let recorded = self
            .update_current(op, move |current, version| {
                let mut changes = Vec::new();
                match outcome {
                    Outcome::Continue {
                        state,
                        details,
                        after,
                    } => {
                        current.provider = Some(state);
                        current.status_details = Some(details);
                        current.next_run_at = now_ms + after.as_millis() as i64;
                    }
                    Outcome::Complete {
                        chain,
                        leaf_index,
                        nbf,
                        exp,
                    } => {
                        if let Some(mut v) = version {
                            v.chain = chain;
                            v.leaf_index = leaf_index;
                            v.nbf = Some(nbf);
                            v.exp = Some(exp);
                            v.updated = now;
                            changes.push(Change::PutVersion {
                                version: v,
                                private_key: None,
                            });
                        }
                        current.end(Ending::Completed);
                    }
                    Outcome::Fail { code, message } => {
                        current.end(Ending::Failed { code, message });
                    }
                    Outcome::Cancelled { message } => {
                        current.end(Ending::Cancelled { message });
                    }
                }
                changes
            })
            .await?;
        if recorded {
            // The next step may be due right away; a finished renewal is reported.
            self.wake();
            if finished {
                self.wake_lifetime();
            }
        }
        Ok(recorded)
    }

    /// Re-reads the operation under the name lock and, if it is still in progress with the
    /// same request id, lets `f` change it (plus extra changes) and writes it all at once.
    async fn update_current<F>(&self, op: &OperationRecord, f: F) -> Result<bool, StoreError>
    where
        F: FnOnce(&mut OperationRecord, Option<VersionRecord>) -> Vec<Change> + Send + 'static,
    {
        let _guard = self.locks.lock(&op.key).await;
        let (key, version) = (op.key.clone(), op.version.clone());
        let (current, record) = self
            .db
            .run(move |s| Ok((s.operation(&key)?, s.version(&key, &version)?)))
            .await?;
        let Some(mut current) = current else {
            return Ok(false);
        };
        if current.request_id != op.request_id || current.status != OperationStatus::InProgress {
            return Ok(false);
        }
        current.updated = self.clock.unix();
        let mut changes = f(&mut current, record);
        changes.push(Change::PutOperation(current));
        self.db.run(move |s| s.apply(changes)).await?;
        Ok(true)
    }

    /// After `DELETE …/pending`: vault stops tracking the operation; ask the CA to cancel the
    /// order where one exists (best effort, logged).
    pub fn cancel_untracked(self: &Arc<Self>, op: OperationRecord) {
        let Some(order_id) = op.provider.as_ref().and_then(|p| p.order_id.clone()) else {
            return;
        };
        let this = self.clone();
        self.tracker.spawn(async move {
            let (adapter, credentials) = match this.adapter(&op).await {
                Ok(found) => found,
                Err(_) => return,
            };
            match adapter.cancel(&credentials, &order_id).await {
                Ok(outcome) => info!(ca.order_id = %order_id, ?outcome, "cancel sent for an untracked order"),
                Err(e) => warn!(ca.order_id = %order_id, error = %e, "cannot cancel an untracked order at the CA"),
            }
        });
    }
}

/// A transient failure: count it, fail past the deadline, else wait and retry.
fn retry(
    mut state: ProviderState,
    message: String,
    retry_after: Option<Duration>,
    _op: &OperationRecord,
    issuance: &Issuance,
) -> Outcome {
    state.failures += 1;
    state.last_error = Some(message.clone());
    if issuance.clock.unix() >= state.deadline {
        return Outcome::Fail {
            code: ISSUER_ERROR,
            message: format!(
                "The CA could not be reached successfully before the operation's deadline; last error: {message}"
            ),
        };
    }
    let after = retry_after.unwrap_or_else(|| {
        backoff(
            issuance.settings.poll_interval,
            state.failures.saturating_sub(1),
            2.0,
        )
    });
    warn!(failures = state.failures, error = %message, "CA call failed; retrying");
    Outcome::Continue {
        state,
        details: format!(
            "Pending certificate created. The CA call failed and will be retried: {message}"
        ),
        after,
    }
}

fn permanent(e: ProviderError) -> Outcome {
    Outcome::Fail {
        code: ISSUER_ERROR,
        message: e.to_string(),
    }
}

fn backoff(base: Duration, step: u32, factor: f64) -> Duration {
    let secs = base.as_secs_f64() * factor.powi(step.min(30) as i32);
    Duration::from_secs_f64(secs.min(MAX_BACKOFF.as_secs_f64()))
}

pub(crate) fn no_endpoint_message(issuer: &str, provider: &str) -> String {
    format!(
        "Issuer '{issuer}' uses provider '{provider}', and this vault has no endpoint configured \
         for it (--provider-endpoint {provider}=URL); the request was not sent to any CA."
    )
}

fn order_request(
    op: &OperationRecord,
    credentials: Credentials,
    state: &ProviderState,
) -> OrderRequest {
    let x509 = op.policy.x509_props.clone().unwrap_or_default();
    let subject = x509.subject.unwrap_or_default();
    let common_name = crypto::parse_dn(&subject)
        .ok()
        .and_then(|dn| dn.values_of("2.5.4.3").next().map(str::to_string));
    OrderRequest {
        reference: op.request_id.clone(),
        csr_der: op.csr.clone().unwrap_or_default(),
        common_name,
        dns_names: x509.sans.and_then(|s| s.dns_names).unwrap_or_default(),
        cert_type: CertType::from_cty(op.issuer_cty.as_deref()),
        validity_months: x509.validity_months.unwrap_or(12),
        cert_transparency: op.cert_transparency,
        credentials,
        not_before: state.submit_started.unwrap_or(op.created),
    }
}

/// Leaf key = pending key (from the CSR), the chain links by signature up to a self-signed
/// root, and the names are those requested.
fn validate_chain(op: &OperationRecord, chain_der: Vec<Vec<u8>>) -> Result<ValidChain, String> {
    if chain_der.is_empty() {
        return Err("the chain is empty".into());
    }
    let csr = crypto::parse_csr(op.csr.as_deref().unwrap_or_default())
        .map_err(|e| format!("the pending request is unreadable: {e}"))?;
    let certs = chain::parse_all(chain_der)?;
    let ordered = chain::order(certs, &csr.spki_der, false)
        .ok_or("the certificate is for a different key than the one vault generated")?;
    for pair in ordered.windows(2) {
        crypto::verify_certificate_signature(&pair[0].der, &pair[1].der).map_err(|e| {
            format!(
                "'{}' is not signed by '{}': {e}",
                pair[0].info.subject, pair[1].info.subject
            )
        })?;
    }
    let top = ordered.last().ok_or("the chain is empty")?;
    if !top.info.self_issued {
        return Err(format!(
            "the chain ends at '{}', which is not a root (missing intermediate or root?)",
            top.info.subject
        ));
    }
    crypto::verify_certificate_signature(&top.der, &top.der)
        .map_err(|e| format!("the root '{}' is not self-signed: {e}", top.info.subject))?;
    let leaf = &ordered[0];
    let issued = leaf.info.sans.dns_names.clone().unwrap_or_default();
    let x509 = op.policy.x509_props.clone().unwrap_or_default();
    for wanted in x509.sans.and_then(|s| s.dns_names).unwrap_or_default() {
        if !issued.iter().any(|d| d.eq_ignore_ascii_case(&wanted)) {
            return Err(format!(
                "the certificate lacks the requested name '{wanted}'"
            ));
        }
    }
    let (nbf, exp) = (leaf.info.not_before, leaf.info.not_after);
    let chain = ordered.into_iter().map(|c| c.der).collect();
    Ok(ValidChain { chain, nbf, exp })
}

/// A chain that passed [`validate_chain`], leaf first.
struct ValidChain {
    chain: Vec<Vec<u8>>,
    nbf: i64,
    exp: i64,
}

/// The provider state a new partnered operation starts with.
pub fn initial_state(now: i64, deadline: Duration) -> ProviderState {
    ProviderState {
        deadline: now + deadline.as_secs() as i64,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(1);
        assert_eq!(backoff(base, 0, 2.0), Duration::from_secs(1));
        assert_eq!(backoff(base, 3, 2.0), Duration::from_secs(8));
        assert_eq!(backoff(base, 20, 2.0), MAX_BACKOFF);
    }

    #[test]
    fn cty_picks_the_product_family() {
        assert_eq!(CertType::from_cty(Some("EV-SSL")), CertType::Ev);
        assert_eq!(CertType::from_cty(Some("OV-SSL")), CertType::Ov);
        assert_eq!(CertType::from_cty(None), CertType::Ov);
    }
}
