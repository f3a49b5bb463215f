//! Certificate policies the tests create with: SDK models ([`ec_policy`], [`rsa_policy`],
//! [`policy_with_key`]) and the wire JSON of a minimal self-signed one
//! ([`self_signed_ec_policy_json`]).

use azure_security_keyvault_certificates::models::{
    CertificatePolicy, CurveName, IssuerParameters, KeyProperties, KeyType,
    X509CertificateProperties,
};
use serde_json::{json, Value};

/// A self-signed EC P-256 policy with the given subject.
pub fn ec_policy(subject: &str) -> CertificatePolicy {
    policy_with_key(
        subject,
        KeyProperties {
            key_type: Some(KeyType::Ec),
            curve: Some(CurveName::P256),
            ..Default::default()
        },
    )
}

/// A self-signed RSA policy with the given subject and key size.
pub fn rsa_policy(subject: &str, key_size: i32) -> CertificatePolicy {
    policy_with_key(
        subject,
        KeyProperties {
            key_type: Some(KeyType::Rsa),
            key_size: Some(key_size),
            ..Default::default()
        },
    )
}

pub fn policy_with_key(subject: &str, key: KeyProperties) -> CertificatePolicy {
    CertificatePolicy {
        key_properties: Some(key),
        x509_certificate_properties: Some(X509CertificateProperties {
            subject: Some(subject.into()),
            ..Default::default()
        }),
        issuer_parameters: Some(IssuerParameters {
            name: Some("Self".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A minimal self-signed EC P-256 policy as wire JSON.
pub fn self_signed_ec_policy_json(subject: &str) -> Value {
    json!({
        "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": false },
        "secret_props": { "contentType": "application/x-pkcs12" },
        "x509_props": { "subject": subject, "validity_months": 12 },
        "issuer": { "name": "Self" }
    })
}
