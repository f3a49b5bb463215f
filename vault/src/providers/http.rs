//! The HTTP plumbing shared by the partner-CA adapters: the one [`reqwest::Client`] they all use
//! (system roots plus extra PEM CAs such as ca-sim's TLS CA), URL joining that tolerates a
//! trailing slash on the configured base, and the classification of transport failures and
//! HTTP statuses into [`ProviderError`] (partner-dialects.md §6):
//!
//! | what happened | class | may the CA have acted? |
//! |---|---|---|
//! | connection refused, DNS failure, connect timeout, TLS handshake failure | `NotSent` | no: the request bytes never left |
//! | timeout, reset mid-request or mid-body, truncated or unreadable answer | `Ambiguous` | maybe |
//! | 5xx (Retry-After honoured) | `Ambiguous` | maybe: a gateway's 502/504 can follow the act |
//! | 429 with the vendor's documented rate-limit error (DigiCert `request_limit_exceeded`) | `Throttled` | no |
//! | any other 429 (Retry-After honoured) | `Ambiguous` | maybe |
//! | 401 / 403 | `Credentials` | no |
//! | other 4xx | `Refused` | no |
//!
//! **429.** DigiCert documents `request_limit_exceeded` as a limit applied per API key before
//! a request is processed (partner-dialects.md §2.6), so that answer is `Throttled`: sent again
//! as is once Retry-After (else 5 s) has passed. GlobalSign's SOAP API and the WoSign dialect
//! document no 429 at all; one from them (or from a proxy in between, or without the vendor's
//! error) is treated like a 5xx, `Ambiguous`: a submit or cancel is then resolved by a lookup.
//! A lookup costs one call; a wrong "did not act" costs a duplicate certificate.
//!
//! The worker's rule (`issuance::partner`): `NotSent` and `Throttled` are retried as is;
//! `Ambiguous` on a submit or cancel is followed by a lookup by vault's own handle, and a
//! resubmit happens only when the lookup proves the CA has no order.
//!
//! Nothing here logs a header value or a body: API keys, passwords and HMAC signatures travel
//! in headers and bodies, so logs carry only method, path and status.

use super::types::ProviderError;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use url::Url;

/// Upper bound on a response body we are willing to hold (a chain is a few KiB).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The shared client: rustls with the platform's roots plus every certificate found in
/// `extra_ca_pems` (each entry may be a bundle), a total-request `timeout`, and a connect
/// timeout of at most 10 s.
pub fn client(extra_ca_pems: &[String], timeout: Duration) -> Result<reqwest::Client, String> {
    let mut extra = Vec::new();
    for (i, pem) in extra_ca_pems.iter().enumerate() {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| format!("extra CA #{}: not a PEM certificate bundle: {e}", i + 1))?;
        if certs.is_empty() {
            return Err(format!(
                "extra CA #{}: no CERTIFICATE block in the PEM text",
                i + 1
            ));
        }
        extra.extend(certs);
    }
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!(
            "keyvault-emulator-vault/",
            env!("CARGO_PKG_VERSION")
        ));
    if !extra.is_empty() {
        builder = builder.tls_certs_merge(extra);
    }
    builder.build().map_err(|e| {
        format!(
            "cannot build the partner-CA HTTP client: {}",
            error_chain(&e)
        )
    })
}

/// `base` + `/` + `path`, whatever the trailing slashes; `path` is taken literally (callers
/// percent-encode variable segments with [`segment`]).
pub fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// One path segment, percent-encoded (order ids come from the CA).
pub fn segment(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// An error and its sources, `: `-separated (reqwest's own Display omits the cause).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Classifies a failed send or body read. `what` names the call ("DigiCert order status").
pub fn transport_error(what: &str, e: &reqwest::Error) -> ProviderError {
    let detail = error_chain(e);
    if e.is_connect() {
        // Includes DNS failures, connect timeouts and TLS handshake failures: the request
        // never reached the CA, so it cannot have been acted on.
        ProviderError::NotSent {
            message: format!("{what}: could not connect to the CA: {detail}"),
        }
    } else if e.is_timeout() {
        ProviderError::Ambiguous {
            message: format!("{what}: the CA did not answer in time: {detail}"),
            retry_after: None,
        }
    } else if e.is_decode() {
        ProviderError::unreadable(format!("{what}: unreadable answer from the CA: {detail}"))
    } else if e.is_builder() {
        ProviderError::Config {
            message: format!("{what}: cannot build the request: {detail}"),
        }
    } else {
        // Reset mid-request, mid-body, protocol error: the CA may have acted.
        ProviderError::Ambiguous {
            message: format!("{what}: the connection failed before the CA answered: {detail}"),
            retry_after: None,
        }
    }
}

/// A complete response: status, headers and the body bytes.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Answer {
    /// The body as text (lossy), for error messages and PEM.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends the request and reads the whole body, classifying transport failures. Logs the call
/// name, path and status only.
pub async fn send(what: &str, request: reqwest::RequestBuilder) -> Result<Answer, ProviderError> {
    let mut response = request
        .send()
        .await
        .map_err(|e| transport_error(what, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    tracing::debug!(
        call = what,
        path = response.url().path(),
        status = status.as_u16(),
        "partner CA answered"
    );
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(ProviderError::unreadable(format!(
                        "{what}: the CA's answer exceeds {MAX_BODY} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                // Headers arrived, so the CA saw the request; the body was cut short.
                return Err(ProviderError::Ambiguous {
                    message: format!(
                        "{what}: the connection failed while reading the CA's answer (HTTP {}): {}",
                        status.as_u16(),
                        error_chain(&e)
                    ),
                    retry_after: None,
                });
            }
        }
    }
    Ok(Answer {
        status,
        headers,
        body: bytes::Bytes::from(body),
    })
}

/// The delay a `Retry-After` header asks for: delta-seconds or an HTTP date (IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`); a date in the past means "now" (zero).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(value)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(Duration::from_secs(at.saturating_sub(now).max(0) as u64))
}

/// Unix seconds of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`); also accepts the
/// RFC 850 form's dashes (`Sunday, 06-Nov-94 08:49:37 GMT`).
fn parse_http_date(s: &str) -> Option<i64> {
    let rest = s.split_once(',').map(|(_, r)| r).unwrap_or(s).trim();
    let parts: Vec<&str> = rest
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|p| !p.is_empty())
        .collect();
    let [day, month, year, hms, zone] = parts.as_slice() else {
        return None;
    };
    if !zone.eq_ignore_ascii_case("GMT") && !zone.eq_ignore_ascii_case("UTC") {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month_index = MONTHS
        .iter()
        .position(|m| month.len() >= 3 && month[..3].eq_ignore_ascii_case(m))?;
    let month = time::Month::try_from(month_index as u8 + 1).ok()?;
    let mut year: i32 = year.parse().ok()?;
    if year < 100 {
        year += if year < 70 { 2000 } else { 1900 };
    }
    let date = time::Date::from_calendar_date(year, month, day.parse().ok()?).ok()?;
    let mut hms = hms.split(':');
    let (h, m, sec) = (hms.next()?, hms.next()?, hms.next()?);
    let t = time::Time::from_hms(h.parse().ok()?, m.parse().ok()?, sec.parse().ok()?).ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp())
}

/// The class of a non-success HTTP status, with the CA's `message`: 5xx and 429 are
/// Ambiguous (honouring Retry-After), 401/403 Credentials, anything else Refused. A dialect
/// whose vendor documents a 429 as "not processed" turns it into [`throttled`] itself.
pub fn status_error(what: &str, answer: &Answer, message: &str) -> ProviderError {
    let status = answer.status;
    let code = status.as_u16();
    let message = if message.is_empty() {
        format!("{what}: HTTP {code}")
    } else {
        format!("{what}: HTTP {code}: {message}")
    };
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        ProviderError::Ambiguous {
            message,
            retry_after: retry_after(&answer.headers),
        }
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        ProviderError::Credentials { message }
    } else {
        ProviderError::Refused { message }
    }
}

/// A 429 the vendor documents as refused before processing: Throttled, after Retry-After or
/// `default_retry` when the answer carries none.
pub fn throttled(
    what: &str,
    answer: &Answer,
    message: &str,
    default_retry: Duration,
) -> ProviderError {
    ProviderError::Throttled {
        message: format!("{what}: HTTP {}: {message}", answer.status.as_u16()),
        retry_after: Some(retry_after(&answer.headers).unwrap_or(default_retry)),
    }
}

/// A lookup the CA refused (an unknown route): without it an order whose submission went
/// unanswered cannot be found, and the error says so.
pub fn lookup_unsupported(what: &str, message: &str) -> ProviderError {
    ProviderError::Refused {
        message: format!(
            "{what}: lookup unsupported by this CA, so an order whose submission went \
             unanswered cannot be found ({message})"
        ),
    }
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_tolerates_trailing_slash() {
        let a = Url::parse("https://127.0.0.1:9443/services/v2").unwrap();
        let b = Url::parse("https://127.0.0.1:9443/services/v2/").unwrap();
        assert_eq!(
            join(&a, "user/me").as_str(),
            "https://127.0.0.1:9443/services/v2/user/me"
        );
        assert_eq!(
            join(&b, "/user/me").as_str(),
            "https://127.0.0.1:9443/services/v2/user/me"
        );
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784111777)
        );
        let future = time::OffsetDateTime::now_utc() + time::Duration::seconds(120);
        let text = future
            .format(time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .unwrap();
        h.insert(RETRY_AFTER, text.parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d >= Duration::from_secs(100) && d <= Duration::from_secs(121),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn client_rejects_junk_pem_and_accepts_a_ca() {
        assert!(client(&["not a pem".into()], Duration::from_secs(5)).is_err());
        let key = shared::crypto::PrivateKey::generate(shared::crypto::KeySpec::Ec {
            curve: shared::models::CurveName::P256,
        })
        .unwrap();
        let now = time::OffsetDateTime::now_utc();
        let profile = shared::crypto::CertProfile {
            subject: "CN=Test CA".into(),
            sans: Default::default(),
            ekus: vec![],
            key_usage: vec![],
            not_before: now - time::Duration::minutes(5),
            not_after: now + time::Duration::days(1),
            is_ca: true,
            path_len: None,
        };
        let der = shared::crypto::self_signed(&key, &profile).unwrap();
        let pem = shared::crypto::pem_encode("CERTIFICATE", &der);
        assert!(client(&[pem], Duration::from_secs(5)).is_ok());
    }

    #[tokio::test]
    async fn transport_errors_are_classified() {
        // A port nobody listens on: connection refused -> NotSent.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let c = client(&[], Duration::from_secs(5)).unwrap();
        let err = send("probe", c.get(format!("http://127.0.0.1:{port}/x")))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::NotSent { .. }), "{err:?}");
        assert!(!err.may_have_acted());

        // A server that accepts and never answers: timeout -> Ambiguous.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let c = client(&[], Duration::from_millis(300)).unwrap();
        let err = send("probe", c.get(format!("http://127.0.0.1:{port}/x")))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Ambiguous { .. }), "{err:?}");
        assert!(err.may_have_acted());

        // A server that accepts, reads, then drops the connection: reset -> Ambiguous.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port2 = listener.local_addr().unwrap().port();
        let drop_task = tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                drop(s);
            }
        });
        let c = client(&[], Duration::from_secs(5)).unwrap();
        let err = send("probe", c.get(format!("http://127.0.0.1:{port2}/x")))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Ambiguous { .. }), "{err:?}");

        // A TLS handshake that fails (the peer speaks no TLS): nothing was sent -> NotSent.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port3 = listener.local_addr().unwrap().port();
        let plain = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            while let Ok((mut s, _)) = listener.accept().await {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                drop(s);
            }
        });
        let err = send("probe", c.get(format!("https://127.0.0.1:{port3}/x")))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::NotSent { .. }), "{err:?}");
        hold.abort();
        drop_task.abort();
        plain.abort();
    }

    #[test]
    fn statuses_are_classified_by_what_the_ca_may_have_done() {
        let answer = |code: u16| Answer {
            status: StatusCode::from_u16(code).unwrap(),
            headers: HeaderMap::new(),
            body: bytes::Bytes::new(),
        };
        for code in [500, 502, 503, 504, 429] {
            let e = status_error("call", &answer(code), "");
            assert!(e.may_have_acted(), "{code}: {e:?}");
        }
        assert!(matches!(
            status_error("call", &answer(401), ""),
            ProviderError::Credentials { .. }
        ));
        assert!(matches!(
            status_error("call", &answer(404), ""),
            ProviderError::Refused { .. }
        ));
        let e = throttled("call", &answer(429), "slow down", Duration::from_secs(5));
        assert!(!e.may_have_acted() && e.is_retryable(), "{e:?}");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(5)));
    }
}
