//! DigiCert `GET order/certificate` ([`ListOrders`]): the account's orders, filtered, sorted
//! and paged as CertCentral pages them (`limit`/`offset`, at most the page cap per answer,
//! `page{total,limit,offset}`), so a client that looks for an order must page to the end.
//! Date filters compare with the CA's own clock (ca-sim's simulated time) only.
//!
//! DigiCert has no client-chosen order id: a client finds the order it lost the answer to by
//! what it sent (`filters[common_name]`, `filters[date_created]`), then compares each
//! candidate's `certificate.csr` through `GET order/certificate/{id}`.

use super::dates::{range_or_bound, Range};
use super::{dc_date, dc_datetime, json_reply, status_word, DcError, DigiCert, CERT_BASE};
use super::{ORDER_BASE, PRODUCTS};
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::{op, Dialect, Order};
use crate::faults::wildcard_match;
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::cmp::Ordering;

/// What `sort` may name.
#[derive(Debug, Clone, Copy)]
enum SortKey {
    OrderId,
    DateCreated,
    CommonName,
    Status,
}

/// `GET order/certificate?filters[...]&limit=&offset=&sort=`.
pub struct ListOrders {
    created: Option<Range>,
    status: Vec<String>,
    common_name: Option<String>,
    search: Option<String>,
    product: Option<String>,
    limit: usize,
    offset: usize,
    sort: SortKey,
    descending: bool,
}

fn bad(message: impl Into<String>) -> DcError {
    DcError::bad_request("bad_request_format", message)
}

/// A non-negative integer query parameter.
fn count(name: &str, v: &str) -> Result<usize, DcError> {
    v.trim()
        .parse()
        .map_err(|_| bad(format!("{name} must be a non-negative integer")))
}

impl Operation<DigiCert> for ListOrders {
    const NAME: &'static str = op::LOOKUP;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        let q = &call.req.query;
        let text = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let created = match q.get("filters[date_created]") {
            Some(v) => Some(range_or_bound("filters[date_created]", v)?),
            None => None,
        };
        let status = text("filters[status]")
            .map(|s| s.split(',').map(|w| w.trim().to_string()).collect())
            .unwrap_or_default();
        // Asking for more than the cap (the vendor's 1000, or the config's
        // `digicert_page_limit`) gets the cap; the answer's `page.limit` says so.
        let cap = call.app.digicert_page_limit;
        let limit = match q.get("limit") {
            Some(v) => match count("limit", v)? {
                0 => cap,
                n => n.min(cap),
            },
            None => cap,
        };
        let offset = q.get("offset").map_or(Ok(0), |v| count("offset", v))?;
        // `+` decodes to a space in a query string: a leading space is ascending too.
        let sort = text("sort").unwrap_or_else(|| "-date_created".into());
        let (descending, field) = match sort.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, sort.trim_start_matches('+')),
        };
        let sort = match field {
            "order_id" | "id" => SortKey::OrderId,
            "date_created" => SortKey::DateCreated,
            "common_name" => SortKey::CommonName,
            "status" => SortKey::Status,
            other => {
                return Err(bad(format!(
                    "sort '{other}' is not supported; use order_id, date_created, common_name \
                     or status, with + or - in front"
                )))
            }
        };
        Ok(Self {
            created,
            status,
            common_name: text("filters[common_name]"),
            search: text("filters[search]"),
            product: text("filters[product_name_id]"),
            limit,
            offset,
            sort,
            descending,
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        call.gate(None).await?;
        let mut orders: Vec<Order> = call
            .app
            .orders
            .list(Some(Dialect::Digicert))
            .into_iter()
            .filter(|o| o.account == call.account.id && self.matches(o))
            .collect();
        orders.sort_by(|a, b| {
            let by = match self.sort {
                SortKey::OrderId => Ordering::Equal,
                SortKey::DateCreated => a.created_ms.cmp(&b.created_ms),
                SortKey::CommonName => a.common_name.cmp(&b.common_name),
                SortKey::Status => status_word(a.status).cmp(status_word(b.status)),
            }
            .then(a.seq.cmp(&b.seq));
            if self.descending {
                by.reverse()
            } else {
                by
            }
        });
        let total = orders.len();
        let now_ms = call.app.clock.now_ms();
        let page: Vec<Value> = orders
            .iter()
            .skip(self.offset)
            .take(self.limit)
            .map(|o| entry(o, now_ms))
            .collect();
        Ok(json_reply(
            StatusCode::OK,
            json!({
                "orders": page,
                "page": {"total": total, "limit": self.limit, "offset": self.offset},
            }),
        ))
    }
}

impl ListOrders {
    fn matches(&self, o: &Order) -> bool {
        self.created.is_none_or(|r| r.contains(o.created_ms))
            && (self.status.is_empty() || self.status.iter().any(|s| s == status_word(o.status)))
            && self
                .common_name
                .as_deref()
                .is_none_or(|p| like(p, &o.common_name))
            && self.product.as_deref().is_none_or(|p| p == o.product)
            && self.search.as_deref().is_none_or(|s| {
                s == (ORDER_BASE + o.seq).to_string()
                    || o.dns_names
                        .iter()
                        .chain(std::iter::once(&o.common_name))
                        .any(|n| like(s, n) || (!s.contains('%') && contains_ci(n, s)))
            })
    }
}

/// SQL-LIKE match as CertCentral's filters take it: `%` is any run of characters, the rest
/// (a wildcard name's `*` too) matches itself, case-insensitively.
fn like(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern, text, '%')
}

fn contains_ci(text: &str, needle: &str) -> bool {
    text.to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

/// One order as the list shows it (CertCentral's list entry: no CSR, no requests).
fn entry(o: &Order, now_ms: i64) -> Value {
    let product = PRODUCTS.iter().find(|(p, _, _)| *p == o.product);
    let mut certificate = json!({
        "common_name": o.common_name,
        "dns_names": o.dns_names,
        "signature_hash": o.extra["signature_hash"].as_str().unwrap_or("sha256"),
    });
    if let Some(c) = &o.cert {
        certificate["id"] = json!(CERT_BASE + o.seq);
        certificate["valid_till"] = json!(dc_date(c.not_after_ms));
        certificate["days_remaining"] = json!(((c.not_after_ms - now_ms) / 86_400_000).max(0));
    }
    json!({
        "id": ORDER_BASE + o.seq,
        "certificate": certificate,
        "status": status_word(o.status),
        "is_renewed": false,
        "date_created": dc_datetime(o.created_ms),
        "organization": {"id": o.organization_id, "name": o.organization_name},
        "validity_years": (o.validity_days / 365).max(1),
        "container": {"id": 1, "name": "ca-sim"},
        "product": {
            "name_id": o.product,
            "name": product.map(|p| p.2).unwrap_or(""),
            "type": "ssl_certificate",
        },
        "has_duplicates": false,
        "reissues_count": 0,
        "has_reissues": false,
    })
}
