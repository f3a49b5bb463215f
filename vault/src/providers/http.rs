//! The HTTP plumbing shared by the partner-CA adapters: the one [`reqwest::Client`] they all use
//! (system roots plus extra PEM CAs such as ca-sim's TLS CA), URL joining that tolerates a
//! trailing slash on the configured base, and the classification of transport failures and
//! HTTP statuses into [`ProviderError`] (partner-dialects.md §6):
//!
//! | what happened | class |
//! |---|---|
//! | connection refused / DNS / TLS handshake failure (nothing reached the CA) | `Transient` |
//! | timeout, connection reset mid-request or mid-body (the CA may have acted) | `NoAnswer` |
//! | body that does not decode | `Malformed` |
//! | 429 (Retry-After in seconds or as an HTTP date honoured) and 5xx | `Transient` |
//! | 401 / 403 | `Credentials` |
//! | other 4xx | `Refused` |
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
        // Includes connect timeouts and TLS handshake failures: the request never reached
        // the CA, so it cannot have been acted on.
        ProviderError::Transient {
            message: format!("{what}: could not connect to the CA: {detail}"),
            retry_after: None,
        }
    } else if e.is_timeout() {
        ProviderError::NoAnswer {
            message: format!("{what}: the CA did not answer in time: {detail}"),
        }
    } else if e.is_decode() {
        ProviderError::Malformed {
            message: format!("{what}: unreadable answer from the CA: {detail}"),
        }
    } else if e.is_builder() {
        ProviderError::Config {
            message: format!("{what}: cannot build the request: {detail}"),
        }
    } else {
        // Reset mid-request, mid-body, protocol error: the CA may have acted.
        ProviderError::NoAnswer {
            message: format!("{what}: the connection failed before the CA answered: {detail}"),
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
                    return Err(ProviderError::Malformed {
                        message: format!("{what}: the CA's answer exceeds {MAX_BODY} bytes"),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                // Headers arrived, so the CA saw the request; the body was cut short.
                return Err(ProviderError::NoAnswer {
                    message: format!(
                        "{what}: the connection failed while reading the CA's answer (HTTP {}): {}",
                        status.as_u16(),
                        error_chain(&e)
                    ),
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

/// The class of a non-success HTTP status, with the CA's `message`: 429 and 5xx are
/// Transient (honouring Retry-After; `default_retry` when 429 carries none), 401/403
/// Credentials, anything else Refused.
pub fn status_error(
    what: &str,
    answer: &Answer,
    message: &str,
    default_retry: Option<Duration>,
) -> ProviderError {
    let status = answer.status;
    let code = status.as_u16();
    let message = if message.is_empty() {
        format!("{what}: HTTP {code}")
    } else {
        format!("{what}: HTTP {code}: {message}")
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        ProviderError::Transient {
            message,
            retry_after: retry_after(&answer.headers).or(default_retry),
        }
    } else if status.is_server_error() {
        ProviderError::Transient {
            message,
            retry_after: retry_after(&answer.headers),
        }
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        ProviderError::Credentials { message }
    } else {
        ProviderError::Refused { message }
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
        // A port nobody listens on: connection refused -> Transient.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let c = client(&[], Duration::from_secs(5)).unwrap();
        let err = send("probe", c.get(format!("http://127.0.0.1:{port}/x")))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Transient { .. }), "{err:?}");

        // A server that accepts and never answers: timeout -> NoAnswer.
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
        assert!(matches!(err, ProviderError::NoAnswer { .. }), "{err:?}");

        // A server that accepts, reads, then drops the connection: reset -> NoAnswer.
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
        assert!(matches!(err, ProviderError::NoAnswer { .. }), "{err:?}");
        hold.abort();
        drop_task.abort();
    }
}
