//! The ACME dialect on the contract ([`Acme`], `dialects::contract::Vendor`): who signed the
//! request (RFC 8555 §6.2–§6.5: `Content-Type`, the flattened JWS, its `url`, the `kid`
//! account or the `jwk`, the signature, then the nonce), how it says no (problem documents,
//! `shared::acme::problem`) and the headers every answer carries ([`reply`]: a fresh
//! `Replay-Nonce`, `Link: <directory>;rel="index"`, `Cache-Control: no-store`).

use super::objects::Urls;
use crate::app::App;
use crate::dialects::contract::{run, Incoming, Operation, Vendor};
use crate::domain::{Account, Dialect};
use crate::history::ReqMeta;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::acme::jwk::Jwk;
use shared::acme::jws::{Jws, KeyRef};
use shared::acme::problem::{self, ErrorType, Problem};
use std::sync::Arc;

/// The ACME dialect.
pub struct Acme;

/// An ACME request: the HTTP request and, for a POST, its JWS as parsed (checked by
/// [`Vendor::authenticate`]).
pub struct AcmeRequest {
    pub inc: Incoming,
    pub jws: Result<Jws, Problem>,
}

impl AcmeRequest {
    /// The verified JWS (authenticate refused the request otherwise).
    pub fn jws(&self) -> Result<&Jws, Problem> {
        self.jws.as_ref().map_err(Clone::clone)
    }

    /// The payload as `T`; anything else is `malformed`.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        serde_json::from_slice(&self.jws()?.payload)
            .map_err(|e| malformed(format!("The request payload is not valid: {e}.")))
    }

    /// Refuses anything but POST-as-GET (an empty payload, §6.3).
    pub fn post_as_get(&self) -> Result<(), Problem> {
        if self.jws()?.payload.is_empty() {
            Ok(())
        } else {
            Err(malformed(
                "This resource is read with POST-as-GET (an empty payload).",
            ))
        }
    }

    /// The `jwk` the request was signed with (newAccount, revocation by certificate key).
    pub fn jwk(&self) -> Option<(&Jwk, &Value)> {
        match &self.jws.as_ref().ok()?.header.key {
            KeyRef::Jwk(k, v) => Some((k, v)),
            KeyRef::Kid(_) => None,
        }
    }
}

pub use shared::acme::problem::{internal, malformed, not_found, unauthorized};

/// The account a request names by `kid` (anonymous requests get an account with an empty id).
fn account(id: &str) -> Account {
    Account {
        dialect: Dialect::Acme,
        id: id.to_string(),
        secret: String::new(),
        organizations: Vec::new(),
        cert_type: None,
        profile: None,
        product_profiles: Default::default(),
        disabled: false,
    }
}

/// Adds the headers of every ACME answer (a fresh nonce, the directory link, no-store).
pub fn finish(app: &App, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if let Ok(nonce) = app.acme.nonces.issue() {
        if let Ok(v) = HeaderValue::from_str(&nonce) {
            headers.insert("replay-nonce", v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "<{}>;rel=\"index\"",
        Urls(&app.base_url).directory()
    )) {
        headers.append(header::LINK, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A problem as the answer: `application/problem+json` under its status, with the headers of
/// every ACME answer.
pub fn problem_response(app: &App, error: Problem) -> Response {
    let mut response = Response::new(Body::from(error.to_json()));
    *response.status_mut() = error.http_status();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(problem::CONTENT_TYPE),
    );
    finish(app, response)
}

/// A success answer: `body` with `content_type`, `Location` when given.
pub fn reply(
    app: &App,
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    location: Option<String>,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(v) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, v);
    }
    finish(app, response)
}

/// A JSON success answer.
pub fn json(app: &App, status: StatusCode, value: &Value, location: Option<String>) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    reply(app, status, "application/json", body, location)
}

impl Vendor for Acme {
    const DIALECT: Dialect = Dialect::Acme;
    const CANCELED_BY_CA: &'static str = "The CA canceled this order";
    type Request = AcmeRequest;
    type Error = Problem;

    fn authenticate(app: &App, req: &AcmeRequest, meta: &mut ReqMeta) -> Result<Account, Problem> {
        if req.inc.method != Method::POST {
            return Ok(account(""));
        }
        shared::acme::problem::check_jose_content_type(&req.inc.headers)?;
        let jws = req.jws()?;
        // RFC 8555 §6.4: the `url` header is the URL this request was sent to.
        let path = req.inc.uri.path_and_query().map_or("/", |p| p.as_str());
        let expected = format!("{}{path}", app.base_url);
        if jws.header.url != expected {
            return Err(unauthorized(format!(
                "The JWS 'url' header ({}) is not the URL of this request ({expected}).",
                jws.header.url
            )));
        }
        let id = match &jws.header.key {
            KeyRef::Jwk(jwk, _) => {
                jws.verify_with(jwk)?;
                String::new()
            }
            KeyRef::Kid(kid) => {
                let unknown = || {
                    Problem::new(
                        ErrorType::AccountDoesNotExist,
                        format!("No account is known by the 'kid' {kid}."),
                    )
                };
                let id = Urls(&app.base_url).account_id(kid).ok_or_else(unknown)?;
                let acct = app.acme.account(id).ok_or_else(unknown)?;
                if acct.status != "valid" {
                    return Err(unauthorized(format!(
                        "The account {kid} is not valid (it is {}).",
                        acct.status
                    )));
                }
                let key = Jwk::from_value(&acct.jwk).map_err(Problem::from)?;
                jws.verify_with(&key)?;
                meta.account = Some(acct.id.clone());
                acct.id
            }
        };
        // Last, so a request that fails the checks above cannot burn someone's nonce.
        app.acme.nonces.redeem(&jws.header.nonce).map_err(|e| {
            Problem::new(
                ErrorType::BadNonce,
                format!(
                    "The JWS nonce is not valid: {e}; retry with the Replay-Nonce of this answer."
                ),
            )
        })?;
        Ok(account(&id))
    }

    fn render(app: &App, _req: &AcmeRequest, error: Problem) -> (String, Response) {
        let code = error
            .kind
            .urn()
            .trim_start_matches("urn:ietf:params:acme:error:")
            .to_string();
        (code, problem_response(app, error))
    }

    /// A `vendor_error` rule's `code` is an ACME error type (`badNonce`, `rateLimited`, a
    /// full URN, ...; `serverInternal` when unknown or absent).
    fn vendor_error(code: Option<&str>, message: Option<&str>, status: Option<u16>) -> Problem {
        let kind = code
            .and_then(|c| {
                let urn = if c.starts_with("urn:") {
                    c.to_string()
                } else {
                    format!("urn:ietf:params:acme:error:{c}")
                };
                serde_json::from_value::<ErrorType>(Value::String(urn)).ok()
            })
            .unwrap_or(ErrorType::ServerInternal);
        let mut p = Problem::new(kind, message.unwrap_or("Injected by a ca-sim fault rule."));
        if let Some(s) = status.filter(|s| (400..600).contains(s)) {
            p.status = s;
        }
        p
    }

    fn rate_limited() -> Problem {
        Problem::new(
            ErrorType::RateLimited,
            "Too many requests (ca-sim fault rule).",
        )
    }

    fn server_error(status: StatusCode) -> Problem {
        let mut p = Problem::new(ErrorType::ServerInternal, "Internal server error (fault).");
        p.status = status.as_u16();
        p
    }

    fn malformed(_req: &AcmeRequest) -> (&'static str, String) {
        ("application/json", "{\"status\":\"val".into())
    }
}

/// Any other path under `/acme/`: a problem document, 404.
pub async fn no_route(State(app): State<Arc<App>>) -> Response {
    problem_response(&app, not_found("ACME resource at this URL"))
}

/// The axum handler of ACME operation `O`: reads the request (and a POST's JWS), then runs
/// it through the contract.
pub async fn handle<O: Operation<Acme>>(
    State(app): State<Arc<App>>,
    mut inc: Incoming,
) -> Response {
    let kill = inc.kill.take();
    let jws = if inc.method == Method::POST {
        Jws::parse(&inc.body).map_err(Problem::from)
    } else {
        Err(malformed("An ACME POST must carry a JWS."))
    };
    run::<Acme, O>(app, kill, AcmeRequest { inc, jws }).await
}
