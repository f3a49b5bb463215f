//! The one contract every dialect implements, the way each mini-redis command implements
//! `parse`/`apply`/`into_frame`. A request runs through [`run`] in this order:
//!
//! 1. **authenticate** ([`Vendor::authenticate`]): who is calling, from the vendor's credentials;
//! 2. **parse** ([`Operation::parse`]): the operation's inputs, in the vendor's request shape;
//! 3. **apply** ([`Operation::apply`]): find the order, pass the fault gate ([`Call::gate`],
//!    the `before` phase), act on the order book and build the success answer;
//! 4. **after gate** ([`Call::after`]): the operation has acted (the order exists, the cancel
//!    took effect); a rule of the `after` phase may now lose the answer: a 5xx, a closed
//!    connection, a truncated body, or an answer later than the client waits;
//! 5. **render**: success as built, or the dialect's error ([`Vendor::render`]); the request's
//!    [`ReqMeta`] rides out on the response for the history.
//!
//! Each dialect says once how it authenticates and how it says no ([`Vendor`]); each operation
//! says once what it reads and does ([`Operation`]). The fault actions that answer instead of
//! the operation (vendor error, 429 with `Retry-After`, 5xx, truncated body) are turned into the
//! dialect's answers in [`Call::gate`], [`Call::after`] and [`run`], nowhere else.

use super::gate::{gate, ConnKill};
use crate::app::App;
use crate::domain::{Account, Dialect, FaultAction, FaultPhase, Order};
use crate::faults::{Facts, Fired};
use crate::history::ReqMeta;
use axum::body::Bytes;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// A vendor dialect: who is calling, and how the vendor says no.
pub trait Vendor: Sized + Send + Sync + 'static {
    const DIALECT: Dialect;
    /// The reason an order ends with when a `cancel` fault fires on a poll and names none.
    const CANCELED_BY_CA: &'static str;
    /// What the dialect reads of a request before it knows the caller.
    type Request: Send + Sync;
    /// The dialect's error answers, rendered in the vendor's own shape by [`Vendor::render`].
    type Error: Send;

    /// The account behind the request's credentials. Notes the account in `meta` as soon as
    /// the dialect knows it.
    fn authenticate(
        app: &App,
        req: &Self::Request,
        meta: &mut ReqMeta,
    ) -> Result<Account, Self::Error>;

    /// Renders an error: the code the request history records, and the response.
    fn render(app: &App, req: &Self::Request, error: Self::Error) -> (String, Response);

    /// The answer to a `vendor_error` fault (the rule's code, message and status, if any).
    fn vendor_error(code: Option<&str>, message: Option<&str>, status: Option<u16>) -> Self::Error;

    /// The answer to a `rate_limit` fault (the contract adds `Retry-After`).
    fn rate_limited() -> Self::Error;

    /// The answer to a `server_error` fault, with its 5xx status.
    fn server_error(status: StatusCode) -> Self::Error;

    /// The truncated body a `malformed` fault serves: content type and text.
    fn malformed(req: &Self::Request) -> (&'static str, String);
}

/// Why an operation did not answer with success.
pub enum Failure<E> {
    /// One of the dialect's errors.
    Vendor(E),
    /// A `rate_limit` fault: the dialect's 429, with `Retry-After` when the rule sets it.
    RateLimited(E, Option<u64>),
    /// A `malformed` fault: a truncated body under the operation's success status.
    Malformed,
}

/// A dialect's error, as the failure an operation's `?` turns it into.
impl<E> From<E> for Failure<E> {
    fn from(e: E) -> Self {
        Failure::Vendor(e)
    }
}

/// What an operation answers.
pub type Outcome<V> = Result<Response, Failure<<V as Vendor>::Error>>;

/// One operation of a dialect (create an order, poll it, download, ...).
pub trait Operation<V: Vendor>: Sized + Send {
    /// The operation's name in fault rules and the request history (`domain::op`).
    const NAME: &'static str;
    /// The status of a successful answer (a `malformed` fault keeps it).
    const SUCCESS: StatusCode = StatusCode::OK;

    /// The name for this request; [`Self::NAME`] unless the body says more (GlobalSign's
    /// `ModifyOrder` is a cancel, a revoke or an approve).
    fn name(_req: &V::Request) -> &'static str {
        Self::NAME
    }

    /// Reads the operation's inputs from the authenticated request.
    fn parse(call: &mut Call<V>) -> Result<Self, V::Error>;

    /// Finds the order, passes the fault gate, acts on the order book and answers.
    fn apply(self, call: &mut Call<V>) -> impl Future<Output = Outcome<V>> + Send;
}

/// One authenticated request on its way through the contract.
pub struct Call<V: Vendor> {
    pub app: Arc<App>,
    pub req: V::Request,
    pub account: Account,
    /// What the history records about the request.
    pub meta: ReqMeta,
    kill: Option<ConnKill>,
    /// Set once the operation passed the `before` gate, with the common name it named: the
    /// `after` gate asks the same rules about the same request. Operations no fault operation
    /// names (DigiCert organizations) pass neither gate.
    gated: Option<Option<String>>,
}

impl<V: Vendor> Call<V> {
    /// Notes the order the request is about, for the history.
    pub fn about(&mut self, order_id: &str) {
        self.meta.order_id = Some(order_id.to_string());
    }

    /// The fault gate before the act, with the order's `common_name` when the request is about
    /// one. Delays and dropped connections happen inside; actions that answer instead of the
    /// operation end the call with the dialect's answer; anything else (order outcomes, chain
    /// shapes) is returned for the operation to apply.
    pub async fn gate(
        &mut self,
        common_name: Option<&str>,
    ) -> Result<Option<Fired>, Failure<V::Error>> {
        self.gated = Some(common_name.map(str::to_string));
        let fired = self.ask(FaultPhase::Before).await;
        match fired {
            Some(f) => instead::<V>(f),
            None => Ok(None),
        }
    }

    /// The fault gate after the act: `response` is the operation's success answer, built after
    /// it changed the order book. An `after` rule may lose it (5xx, malformed, dropped) or
    /// delay it; otherwise it goes out as built.
    pub async fn after(&mut self, response: Response) -> Outcome<V> {
        if self.gated.is_none() {
            return Ok(response);
        }
        match self.ask(FaultPhase::After).await {
            Some(f) => instead::<V>(f).map(|_| response),
            None => Ok(response),
        }
    }

    /// Asks the rules of `phase` about this request (delays served, drops never return).
    async fn ask(&mut self, phase: FaultPhase) -> Option<Fired> {
        let common_name = self.gated.clone().flatten();
        let facts = Facts {
            dialect: V::DIALECT,
            operation: self.meta.operation,
            account: Some(&self.account.id),
            common_name: common_name.as_deref(),
            phase,
        };
        gate(&self.app, facts, self.kill.as_ref(), &mut self.meta).await
    }

    /// Applies a reject or cancel fault that fired on a poll: the order ends CA-side now.
    pub fn poll_outcome(&self, order: Order, fired: Option<&Fired>) -> Order {
        self.app
            .orders
            .poll_outcome(order, fired.map(|f| &f.action), V::CANCELED_BY_CA)
    }
}

/// The dialect's answer to a fired action that answers instead of the operation (either
/// phase); actions the operation applies itself come back as `Ok(Some)`.
fn instead<V: Vendor>(fired: Fired) -> Result<Option<Fired>, Failure<V::Error>> {
    match &fired.action {
        FaultAction::VendorError {
            code,
            message,
            status,
        } => Err(Failure::Vendor(V::vendor_error(
            code.as_deref(),
            message.as_deref(),
            *status,
        ))),
        FaultAction::RateLimit { retry_after } => {
            Err(Failure::RateLimited(V::rate_limited(), *retry_after))
        }
        FaultAction::ServerError { status } => {
            let status = status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err(Failure::Vendor(V::server_error(status)))
        }
        FaultAction::Malformed => Err(Failure::Malformed),
        _ => Ok(Some(fired)),
    }
}

/// Runs operation `O` of dialect `V` for one request: authenticate, parse, apply (with the
/// gate before the act), the gate after the act, render.
pub async fn run<V: Vendor, O: Operation<V>>(
    app: Arc<App>,
    kill: Option<ConnKill>,
    req: V::Request,
) -> Response {
    let mut meta = ReqMeta::new(V::DIALECT, O::name(&req));
    let account = match V::authenticate(&app, &req, &mut meta) {
        Ok(a) => a,
        Err(e) => return answer::<V>(&app, &req, meta, O::SUCCESS, Err(Failure::Vendor(e))),
    };
    let mut call = Call {
        app,
        req,
        account,
        meta,
        kill,
        gated: None,
    };
    let outcome = match O::parse(&mut call) {
        Ok(op) => match op.apply(&mut call).await {
            Ok(response) => call.after(response).await,
            failed => failed,
        },
        Err(e) => Err(Failure::Vendor(e)),
    };
    answer::<V>(&call.app, &call.req, call.meta, O::SUCCESS, outcome)
}

/// Answers a request no operation takes (an unknown path) with one of the dialect's errors.
pub fn refuse<V: Vendor>(
    app: &App,
    req: &V::Request,
    operation: &'static str,
    error: V::Error,
) -> Response {
    let meta = ReqMeta::new(V::DIALECT, operation);
    answer::<V>(app, req, meta, StatusCode::OK, Err(Failure::Vendor(error)))
}

/// The one place an outcome becomes a response: errors in the dialect's shape, `Retry-After`
/// on fault 429s, the history record attached.
fn answer<V: Vendor>(
    app: &App,
    req: &V::Request,
    mut meta: ReqMeta,
    success: StatusCode,
    outcome: Outcome<V>,
) -> Response {
    let mut response = match outcome {
        Ok(r) => r,
        Err(Failure::Vendor(e)) => {
            let (code, r) = V::render(app, req, e);
            meta.code = Some(code);
            r
        }
        Err(Failure::RateLimited(e, retry_after)) => {
            let (code, mut r) = V::render(app, req, e);
            meta.code = Some(code);
            if let Some(s) = retry_after {
                r.headers_mut()
                    .insert(http::header::RETRY_AFTER, HeaderValue::from(s));
            }
            r
        }
        Err(Failure::Malformed) => {
            meta.code = Some("malformed".into());
            let (content_type, body) = V::malformed(req);
            (success, [(http::header::CONTENT_TYPE, content_type)], body).into_response()
        }
    };
    response.extensions_mut().insert(meta);
    response
}

/// A plain-text answer (the 429s and 5xx of the dialects that have no error body for them).
pub fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(http::header::CONTENT_TYPE, "text/plain")], text).into_response()
}

/// A request as the HTTP dialects (DigiCert, WoSign) read it: everything the vendor may sign
/// or name, read once.
#[derive(Default)]
pub struct Incoming {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    /// The route's path parameters, decoded.
    pub params: Vec<(String, String)>,
    /// The query string, decoded.
    pub query: HashMap<String, String>,
    pub body: Bytes,
    /// The connection's kill switch (the `drop` fault).
    pub kill: Option<ConnKill>,
}

impl Incoming {
    /// Path parameter `name` (empty when the route has none by that name).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequest<S> for Incoming {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        // A parameter that is not UTF-8 is refused as axum's `Path` refuses it; a route
        // without parameters has none.
        let params = match RawPathParams::from_request_parts(&mut parts, state).await {
            Ok(p) => p
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            Err(e @ RawPathParamsRejection::InvalidUtf8InPathParam(_)) => {
                return Err(e.into_response())
            }
            Err(_) => Vec::new(),
        };
        let query = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default();
        let kill = parts.extensions.get::<ConnKill>().cloned();
        let (method, uri, headers) = (
            parts.method.clone(),
            parts.uri.clone(),
            parts.headers.clone(),
        );
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            method,
            uri,
            headers,
            params,
            query,
            body,
            kill,
        })
    }
}

/// The axum handler of operation `O` of an HTTP dialect `V`: what the route table names.
pub async fn handle<V, O>(State(app): State<Arc<App>>, mut req: Incoming) -> Response
where
    V: Vendor<Request = Incoming>,
    O: Operation<V>,
{
    let kill = req.kill.take();
    run::<V, O>(app, kill, req).await
}
