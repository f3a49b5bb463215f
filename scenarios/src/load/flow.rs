//! One virtual client: its own keep-alive connection and its loop over certificates, each a
//! [`Flow`] (create → poll → merge for `Unknown` → GET) with every request timed and 429s
//! waited out.

use super::mix::Issuer;
use super::poll::{retry_after, DEFAULT_RETRY};
use super::report::{ClientStats, Kind};
use super::state::Shared;
use crate::client::API_VERSION;
use crate::error::Error;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A client's own HTTPS client: trusts vault's CA, keeps one idle connection, no proxy.
pub(super) fn http_client(ca_pem: &str) -> Result<reqwest::Client, Error> {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes())
        .map_err(|e| Error::Client(format!("CA PEM: {e}")))?;
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1)
        .no_proxy()
        .build()
        .map_err(|e| Error::Client(e.to_string()))
}

/// One virtual client: certificates one after the other until the tickets run out or `hard`
/// passes; their outcomes go into the client's stats.
pub(super) async fn client_loop(
    shared: Arc<Shared>,
    http: reqwest::Client,
    hard: Instant,
) -> ClientStats {
    let mut stats = ClientStats::new();
    while Instant::now() < hard {
        let Some((n, issuer)) = shared.ticket() else {
            break;
        };
        let name = format!("{}{n}", shared.prefix);
        let start = Instant::now();
        let deadline = (start + shared.opts.cert_timeout).min(hard);
        let mut flow = Flow {
            shared: &shared,
            http: &http,
            stats: &mut stats,
        };
        let outcome = tokio::time::timeout_at(deadline, flow.certificate(&name, issuer)).await;
        match outcome {
            Ok(Ok(polls)) => {
                stats.completed(issuer, start.elapsed(), polls);
                shared.live.completed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(kind)) => {
                stats.failed(issuer, &kind);
                shared.live.failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) if deadline < hard => {
                stats.failed(issuer, "timeout");
                shared.live.failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => stats.incomplete(issuer),
        }
    }
    stats
}

/// One certificate's exchanges, recorded in the client's stats.
struct Flow<'a> {
    shared: &'a Shared,
    http: &'a reqwest::Client,
    stats: &'a mut ClientStats,
}

/// A vault answer: status, headers, JSON body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Flow<'_> {
    /// Create → poll (→ merge for Unknown) until completed → GET. Returns the number of polls;
    /// `Err` is the error kind.
    async fn certificate(&mut self, name: &str, issuer: Issuer) -> Result<u64, String> {
        let create = self
            .send(
                Kind::Create,
                reqwest::Method::POST,
                &format!("/certificates/{name}/create"),
                Some(create_body(name, issuer)),
            )
            .await?;
        expect(Kind::Create, &create, &[202])?;
        let mut last = create;
        let mut polls: u64 = 0;
        loop {
            match last.body["status"].as_str().unwrap_or("") {
                "completed" => break,
                "inProgress" => {}
                other => {
                    let code = last.body["error"]["code"].as_str().unwrap_or("none");
                    return Err(format!("operation {other}: {code}"));
                }
            }
            // Unknown: the pending CSR is signed and merged once a poll has seen it.
            if issuer == Issuer::Unknown && polls > 0 {
                let csr = last.body["csr"]
                    .as_str()
                    .and_then(|c| B64.decode(c.trim()).ok())
                    .ok_or_else(|| "merge: no csr in the pending operation".to_string())?;
                let chain = self
                    .shared
                    .ca
                    .sign_csr(&csr)
                    .map_err(|e| format!("merge: signing the csr: {e}"))?;
                let body =
                    json!({ "x5c": chain.iter().map(|c| B64.encode(c)).collect::<Vec<_>>() });
                let merged = self
                    .send(
                        Kind::Merge,
                        reqwest::Method::POST,
                        &format!("/certificates/{name}/pending/merge"),
                        Some(body),
                    )
                    .await?;
                expect(Kind::Merge, &merged, &[201, 200])?;
                break;
            }
            let wait = self
                .shared
                .opts
                .poll
                .wait(polls.min(u32::MAX as u64) as u32, &last.headers);
            tokio::time::sleep(wait).await;
            last = self
                .send(
                    Kind::Poll,
                    reqwest::Method::GET,
                    &format!("/certificates/{name}/pending"),
                    None,
                )
                .await?;
            polls += 1;
            expect(Kind::Poll, &last, &[200])?;
        }
        let got = self
            .send(
                Kind::Get,
                reqwest::Method::GET,
                &format!("/certificates/{name}/"),
                None,
            )
            .await?;
        expect(Kind::Get, &got, &[200])?;
        if got.body["cer"].as_str().is_none_or(str::is_empty) {
            return Err("get: no cer in the certificate".into());
        }
        Ok(polls)
    }

    /// One request, sent again after every 429 (waiting its `Retry-After`).
    async fn send(
        &mut self,
        kind: Kind,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, String> {
        let url = format!("{}{path}?api-version={API_VERSION}", self.shared.vault_url);
        loop {
            let mut rb = self
                .http
                .request(method.clone(), &url)
                .bearer_auth("scenarios-load");
            if let Some(b) = &body {
                rb = rb.json(b);
            }
            let t0 = Instant::now();
            self.shared.live.requests.fetch_add(1, Ordering::Relaxed);
            let result = async {
                let resp = rb.send().await?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let bytes = resp.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, bytes))
            }
            .await;
            let latency = t0.elapsed();
            let (status, headers, bytes) = match result {
                Ok(x) => x,
                Err(e) => {
                    self.stats.transport_error(kind);
                    let class = if e.is_timeout() {
                        "timeout"
                    } else if e.is_connect() {
                        "connect"
                    } else {
                        "other"
                    };
                    return Err(format!("{}: transport ({class})", kind.label()));
                }
            };
            if status == 429 {
                self.stats.throttled(kind);
                self.shared.live.throttled.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(retry_after(&headers).unwrap_or(DEFAULT_RETRY)).await;
                continue;
            }
            self.stats.answered(kind, latency);
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            };
            return Ok(Answer {
                status,
                headers,
                body,
            });
        }
    }
}

fn expect(kind: Kind, a: &Answer, statuses: &[u16]) -> Result<(), String> {
    if statuses.contains(&a.status) {
        return Ok(());
    }
    let code = a.body["error"]["code"].as_str().unwrap_or("");
    Err(format!("{}: HTTP {} {code}", kind.label(), a.status)
        .trim_end()
        .to_string())
}

/// EC P-256, `CN={name}.example`, PKCS#12 secret; partner issuers get `OV-SSL`.
pub fn create_body(name: &str, issuer: Issuer) -> Value {
    let mut issuer_obj = json!({ "name": issuer.vault_issuer() });
    if issuer.partner() {
        issuer_obj["cty"] = json!("OV-SSL");
    }
    json!({
        "policy": {
            "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": false },
            "secret_props": { "contentType": "application/x-pkcs12" },
            "x509_props": { "subject": format!("CN={name}.example") },
            "issuer": issuer_obj,
        }
    })
}
