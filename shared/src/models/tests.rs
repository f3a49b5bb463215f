//! Wire round-trips of the models.

use super::*;

#[test]
fn enums_parse_case_insensitively_and_emit_canonical_casing() {
    let kty: KeyType = serde_json::from_str("\"rsa-hsm\"").unwrap();
    assert_eq!(kty, KeyType::RsaHsm);
    assert_eq!(serde_json::to_string(&kty).unwrap(), "\"RSA-HSM\"");
    let ku: KeyUsage = serde_json::from_str("\"crlsign\"").unwrap();
    assert_eq!(serde_json::to_string(&ku).unwrap(), "\"cRLSign\"");
    assert!(serde_json::from_str::<CurveName>("\"P-999\"").is_err());
}

#[test]
fn partial_policy_round_trips_without_inventing_members() {
    let json = r#"{"x509_props":{"sans":{},"validity_months":36}}"#;
    let policy: CertificatePolicy = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&policy).unwrap(), json);
    assert!(policy.x509_props.unwrap().sans.unwrap().is_empty());
}

#[test]
fn operation_always_has_status_member() {
    let op = CertificateOperation {
        id: "x".into(),
        status: Some(OperationStatus::InProgress),
        ..Default::default()
    };
    let v = serde_json::to_value(&op).unwrap();
    assert_eq!(v["status"], "inProgress");
    assert_eq!(v["cancellation_requested"], false);
}
