//! The api-versions vault answers and the response shape of each (spec §0, docs/api-versions.md).
//! Handlers always build the newest shape; a request made with an older version gets its
//! response with the members that version did not define removed, so an old client sees the
//! shape it was generated from. Requests stay lenient at every version (newer members are
//! accepted and stored, as unknown JSON members are).

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Versions the SDKs send (spec §0), oldest first. Anything else is a 400.
pub const API_VERSIONS: &[&str] = &[
    "2016-10-01",
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.6-preview.1",
    "7.6-preview.2",
    "7.6",
    "2025-07-01",
    "2026-03-01-preview",
    "2026-04-01",
];

/// The newest version, named in the "not recognized" error.
pub const LATEST_API_VERSION: &str = "2026-04-01";

/// Largest response body reshaped (a full page of certificates is far smaller).
const RESHAPE_LIMIT: usize = 16 * 1024 * 1024;

/// Which of the members added after 2016-10-01 a version has. Certificates, issuers and
/// contacts only: the Keys and Secrets shapes vault serves did not change in these versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// 7.0: `key_props.crv`, `issuer.cert_transparency`.
    pub curve_and_transparency: bool,
    /// 7.1: `attributes.recoverableDays`.
    pub recoverable_days: bool,
    /// 7.6 (and its previews): `preserveCertOrder`.
    pub preserve_cert_order: bool,
    /// 2025-07-01: `sans.uris`, `sans.ipAddresses`.
    pub uris_and_ips: bool,
    /// 2026-03-01-preview: `policy.platformManaged`.
    pub platform_managed: bool,
}

impl Shape {
    /// The shape of `version` (one of [`API_VERSIONS`]; an unknown one gets the newest).
    pub fn of(version: &str) -> Shape {
        let rank = API_VERSIONS
            .iter()
            .position(|v| *v == version)
            .unwrap_or(API_VERSIONS.len());
        let since = |first: &str| API_VERSIONS.iter().position(|v| *v == first) <= Some(rank);
        Shape {
            curve_and_transparency: since("7.0"),
            recoverable_days: since("7.1"),
            preserve_cert_order: since("7.6-preview.1"),
            uris_and_ips: since("2025-07-01"),
            platform_managed: since("2026-03-01-preview"),
        }
    }

    fn is_full(self) -> bool {
        self.curve_and_transparency
            && self.recoverable_days
            && self.preserve_cert_order
            && self.uris_and_ips
            && self.platform_managed
    }

    /// Removes from `value` (any response body) the members this version does not define.
    pub fn strip(self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                if !self.recoverable_days {
                    map.remove("recoverableDays");
                }
                if !self.preserve_cert_order {
                    map.remove("preserveCertOrder");
                }
                if !self.platform_managed {
                    map.remove("platformManaged");
                }
                if !self.curve_and_transparency {
                    if let Some(Value::Object(key)) = map.get_mut("key_props") {
                        key.remove("crv");
                    }
                    if let Some(Value::Object(issuer)) = map.get_mut("issuer") {
                        issuer.remove("cert_transparency");
                    }
                }
                if !self.uris_and_ips {
                    if let Some(Value::Object(sans)) = map.get_mut("sans") {
                        sans.remove("uris");
                        sans.remove("ipAddresses");
                    }
                }
                map.values_mut().for_each(|v| self.strip(v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.strip(v)),
            _ => {}
        }
    }
}

/// Whether `response` carries a JSON body (its `Content-Type`).
pub(super) fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// `response` as a client of `version` expects it: unchanged for the newest shape and for
/// bodies that are not JSON, otherwise re-rendered without the members the version lacks.
pub async fn shape(version: &str, response: Response) -> Response {
    let shape = Shape::of(version);
    if shape.is_full() {
        return response;
    }
    if !is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, RESHAPE_LIMIT).await else {
        // Only our own handlers' bodies come here; an unreadable one is answered as a 500.
        return crate::error::Error::Internal("response body unreadable".into()).into_response();
    };
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut value) => {
            shape.strip(&mut value);
            match serde_json::to_vec(&value) {
                Ok(reshaped) => {
                    parts.headers.remove(header::CONTENT_LENGTH);
                    Body::from(reshaped)
                }
                Err(_) => Body::from(bytes),
            }
        }
        Err(_) => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_version_is_known_and_the_newest_is_full() {
        assert!(Shape::of(LATEST_API_VERSION).is_full());
        assert!(Shape::of("2026-03-01-preview").is_full());
        assert_eq!(API_VERSIONS.last(), Some(&LATEST_API_VERSION));
        let old = Shape::of("2016-10-01");
        assert!(!old.curve_and_transparency && !old.recoverable_days && !old.platform_managed);
        let v75 = Shape::of("7.5");
        assert!(v75.recoverable_days && !v75.preserve_cert_order && !v75.uris_and_ips);
        assert!(Shape::of("7.6").preserve_cert_order && !Shape::of("7.6").uris_and_ips);
        assert!(Shape::of("2025-07-01").uris_and_ips && !Shape::of("2025-07-01").platform_managed);
    }

    #[test]
    fn old_versions_lose_only_the_members_they_lack() {
        let mut body = json!({
            "id": "x",
            "preserveCertOrder": false,
            "attributes": {"enabled": true, "recoverableDays": 90, "recoveryLevel": "Recoverable"},
            "policy": {
                "key_props": {"kty": "EC", "crv": "P-256"},
                "x509_props": {"sans": {"dns_names": ["a.test"], "uris": ["https://a"], "ipAddresses": ["10.0.0.1"]}},
                "issuer": {"name": "Self", "cert_transparency": false},
                "platformManaged": {"certificateUsage": "PublicTLSServerAuth"}
            }
        });
        let mut v75 = body.clone();
        Shape::of("7.5").strip(&mut v75);
        assert!(v75.get("preserveCertOrder").is_none());
        assert_eq!(v75["attributes"]["recoverableDays"], 90);
        assert_eq!(v75["policy"]["key_props"]["crv"], "P-256");
        assert!(v75["policy"]["x509_props"]["sans"].get("uris").is_none());
        assert!(v75["policy"].get("platformManaged").is_none());
        Shape::of("2016-10-01").strip(&mut body);
        assert!(body["attributes"].get("recoverableDays").is_none());
        assert_eq!(body["attributes"]["recoveryLevel"], "Recoverable");
        assert!(body["policy"]["key_props"].get("crv").is_none());
        assert!(body["policy"]["issuer"].get("cert_transparency").is_none());
        assert_eq!(
            body["policy"]["x509_props"]["sans"]["dns_names"][0],
            "a.test"
        );
    }
}
