//! Secrets out of the request history: what `/admin/requests/{seq}` (and the dashboard) shows
//! of a request or an answer has every credential replaced by [`MASK`] before it is stored —
//! API keys and signatures in headers (`X-DC-DEVKEY`, `Authorization`, WoSign's HMAC), passwords
//! in JSON (`password`, `pwd`, `secret`, …) and in SOAP (`<Password>`), the HMAC of an ACME
//! external account binding (inside the JWS payload, which is shown decoded), private JWK
//! members and PEM private keys anywhere.

use base64::Engine;
use serde_json::{Map, Value};

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Whether a header carries a credential.
pub fn secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-dc-devkey"
    ) || ["key", "secret", "token", "password", "signature"]
        .iter()
        .any(|w| n.contains(w))
}

/// Headers as shown: name → value, credentials masked.
pub fn headers(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            let value = if secret_header(k.as_str()) {
                MASK.to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (k.as_str().to_string(), value)
        })
        .collect()
}

/// JSON member names whose values are credentials (compared lowercase, without `_` and `-`).
const SECRET_KEYS: &[&str] = &[
    "password",
    "pwd",
    "passwd",
    "pass",
    "secret",
    "clientsecret",
    "apikey",
    "devkey",
    "xdcdevkey",
    "authorization",
    "privatekey",
    "hmac",
    "hmackey",
    "mackey",
];

/// Private members of a JWK (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const JWK_PRIVATE: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn secret_key(k: &str) -> bool {
    let n: String = k
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    SECRET_KEYS.contains(&n.as_str())
}

/// Masks credentials in a JSON value, in place.
pub fn json(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let is_jwk = m.contains_key("kty");
            let is_eab = m.contains_key("protected") && m.contains_key("signature");
            for (k, val) in m.iter_mut() {
                if secret_key(k) || (is_jwk && JWK_PRIVATE.contains(&k.as_str())) {
                    *val = Value::String(MASK.into());
                } else {
                    json(val);
                }
            }
            // An external account binding is a JWS MACed with the EAB key: its signature is
            // the HMAC.
            if is_eab {
                if let Some(sig) = m.get_mut("signature") {
                    *sig = Value::String(MASK.into());
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(json),
        Value::String(s) => *s = pem_private_keys(s),
        _ => {}
    }
}

/// An ACME JWS (`{"protected","payload","signature"}`) shown decoded: header and payload as
/// JSON (masked: the payload of a `newAccount` carries the EAB, whose signature is the HMAC).
fn acme_jws(m: &Map<String, Value>) -> Option<Value> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decode = |field: &str| -> Option<Value> {
        let raw = b64
            .decode(m.get(field)?.as_str()?.trim_end_matches('='))
            .ok()?;
        if raw.is_empty() {
            // POST-as-GET.
            return Some(Value::String(String::new()));
        }
        serde_json::from_slice(&raw).ok()
    };
    let mut protected = decode("protected")?;
    let mut payload = decode("payload")?;
    json(&mut protected);
    if let Value::Object(p) = &mut payload {
        if let Some(Value::Object(eab)) = p.get_mut("externalAccountBinding") {
            // Shown decoded too; its signature is the HMAC.
            if let Some(mut inner) = acme_jws(eab) {
                inner["signature"] = Value::String(MASK.into());
                p.insert("externalAccountBinding".into(), inner);
            }
        }
    }
    // A binding that did not decode keeps its shape; `json` masks its signature.
    json(&mut payload);
    Some(serde_json::json!({
        "protected": protected,
        "payload": payload,
        "signature": m.get("signature").cloned().unwrap_or(Value::Null),
    }))
}

/// A body as shown: JSON pretty-printed (an ACME JWS decoded), XML with its credential
/// elements emptied, anything else as text; credentials masked; at most `limit` bytes.
pub fn body(bytes: &[u8], limit: usize) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let text = if let Ok(mut v) = serde_json::from_slice::<Value>(bytes) {
        match v.as_object().and_then(acme_jws) {
            Some(decoded) => v = decoded,
            None => json(&mut v),
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    } else {
        let s = String::from_utf8_lossy(bytes);
        if s.trim_start().starts_with('<') {
            pem_private_keys(&xml(&s))
        } else {
            pem_private_keys(&s)
        }
    };
    truncate(text, limit)
}

fn truncate(mut s: String, limit: usize) -> String {
    if s.len() > limit {
        let mut cut = limit;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        let total = s.len();
        s.truncate(cut);
        s.push_str(&format!("\n… ({total} bytes, first {cut} shown)"));
    }
    s
}

/// XML element names (local part, any case) whose text is a credential.
const SECRET_ELEMENTS: &[&str] = &["password", "pwd", "secret", "apikey", "privatekey"];

/// Empties the text of credential elements (`<Password>pw</Password>` → `<Password>***</Password>`,
/// any namespace prefix).
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        let Some(gt) = tail.find('>') else {
            out.push_str(tail);
            return out;
        };
        let tag = &tail[..=gt];
        out.push_str(tag);
        rest = &tail[gt + 1..];
        let inner = tag[1..tag.len() - 1].trim();
        if inner.starts_with('/') || inner.ends_with('/') || inner.starts_with('?') {
            continue;
        }
        let qname = inner.split_whitespace().next().unwrap_or("");
        let local = qname
            .rsplit(':')
            .next()
            .unwrap_or(qname)
            .to_ascii_lowercase();
        if SECRET_ELEMENTS.contains(&local.as_str()) {
            let end = rest.find('<').unwrap_or(rest.len());
            if end > 0 {
                out.push_str(MASK);
            }
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Replaces the inside of every PEM private key block (`-----BEGIN … PRIVATE KEY-----`).
pub fn pem_private_keys(s: &str) -> String {
    const BEGIN: &str = "-----BEGIN ";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(b) = rest.find(BEGIN) {
        let after = &rest[b + BEGIN.len()..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = &after[..label_end];
        let header_end = b + BEGIN.len() + label_end + 5;
        out.push_str(&rest[..header_end]);
        rest = &rest[header_end..];
        if label.ends_with("PRIVATE KEY") {
            let end_marker = format!("-----END {label}-----");
            match rest.find(&end_marker) {
                Some(e) => {
                    out.push_str(MASK);
                    rest = &rest[e..];
                }
                None => {
                    out.push_str(MASK);
                    rest = "";
                }
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
