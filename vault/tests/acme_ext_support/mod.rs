//! What the ACME extension tests (`acme_ext*.rs`) share on top of `acme_core_support`: an
//! `instant-acme` account, one call that orders and downloads a certificate (with a profile
//! or `replaces` when asked), the RFC 9773 certID of a certificate, and reading problems.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use crate::acme_core_support::Server;
use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, RetryPolicy,
};
use std::time::Duration;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

pub fn retries() -> RetryPolicy {
    RetryPolicy::new()
        .initial_delay(Duration::from_millis(20))
        .backoff(1.5)
        .timeout(Duration::from_secs(20))
}

/// A new account at `server`.
pub async fn account(server: &Server) -> Account {
    server
        .acme_builder()
        .create(
            &NewAccount {
                contact: &[],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            server.directory(),
            None,
        )
        .await
        .expect("new account")
        .0
}

/// An issued certificate: its chain (DER, leaf first), the key its CSR was made with
/// (PKCS#8 DER) and the order's URL.
pub struct Issued {
    pub chain: Vec<Vec<u8>>,
    pub key_pkcs8: Vec<u8>,
    pub order_url: String,
}

impl Issued {
    pub fn leaf(&self) -> &[u8] {
        &self.chain[0]
    }

    /// RFC 9773 certID of the leaf.
    pub fn cert_id(&self) -> String {
        cert_id(self.leaf())
    }

    /// The leaf's validity (unix seconds).
    pub fn validity(&self) -> (i64, i64) {
        let (_, cert) = X509Certificate::from_der(self.leaf()).expect("leaf");
        (
            cert.validity().not_before.timestamp(),
            cert.validity().not_after.timestamp(),
        )
    }

    /// The leaf's serial as lower-case hex without leading zeros.
    pub fn serial_hex(&self) -> String {
        let (_, cert) = X509Certificate::from_der(self.leaf()).expect("leaf");
        let hex: String = cert
            .raw_serial()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let trimmed = hex.trim_start_matches('0');
        if trimmed.is_empty() { "0" } else { trimmed }.to_string()
    }
}

/// What to order besides the names.
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    pub profile: Option<&'a str>,
    pub replaces: Option<&'a str>,
}

/// Orders `names` (DNS), answers every authorization (always-valid), finalizes with a fresh
/// P-256 key and downloads the chain. Panics on any error.
pub async fn issue(account: &Account, names: &[&str], options: Options<'_>) -> Issued {
    try_issue(account, names, options).await.expect("issued")
}

/// Like [`issue`], the client's error returned (new-order refusals among them).
pub async fn try_issue(
    account: &Account,
    names: &[&str],
    options: Options<'_>,
) -> Result<Issued, instant_acme::Error> {
    let identifiers: Vec<Identifier> = names
        .iter()
        .map(|n| Identifier::Dns(n.to_string()))
        .collect();
    let mut new_order = NewOrder::new(&identifiers);
    if let Some(profile) = options.profile {
        new_order = new_order.profile(profile);
    }
    // The certID text as the client library parses it (two base64url parts).
    let quoted = options.replaces.map(|r| format!("\"{r}\""));
    if let Some(quoted) = &quoted {
        let id: instant_acme::CertificateIdentifier<'_> =
            serde_json::from_str(quoted).expect("a certID");
        new_order = new_order.replaces(id);
    }
    let mut order = account.new_order(&new_order).await?;
    let mut authzs = order.authorizations();
    while let Some(authz) = authzs.next().await {
        let mut authz = authz?;
        if authz.status == AuthorizationStatus::Valid {
            continue;
        }
        authz
            .challenge(ChallengeType::Http01)
            .expect("http-01 offered")
            .set_ready()
            .await?;
    }
    order.poll_ready(&retries()).await?;
    let key = rcgen::KeyPair::generate().expect("P-256 key");
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("CSR params");
    // No subject: the names are in the SANs (rcgen's default CN is not one of them).
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params.serialize_request(&key).expect("CSR");
    order.finalize_csr(csr.der()).await?;
    let pem = order.poll_certificate(&retries()).await?;
    Ok(Issued {
        chain: pem_chain(&pem),
        key_pkcs8: key.serialize_der(),
        order_url: order.url().to_string(),
    })
}

/// The DER certificates of a PEM chain, in order.
pub fn pem_chain(pem: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in pem.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            current = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            let b64 = current.take().expect("END after BEGIN");
            out.push(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .expect("PEM base64"),
            );
        } else if let Some(body) = current.as_mut() {
            body.push_str(line);
        }
    }
    out
}

/// RFC 9773 §4.1 certID, computed here independently of the server.
pub fn cert_id(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let (_, cert) = X509Certificate::from_der(der).expect("certificate");
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref(),
            _ => None,
        })
        .expect("an AKI key identifier");
    format!("{}.{}", b64(aki.0), b64(cert.raw_serial()))
}

/// The problem type's short name of a client error (`alreadyRevoked`), or its text.
pub fn problem_type(error: &instant_acme::Error) -> String {
    match error {
        instant_acme::Error::Api(p) => p
            .r#type
            .as_deref()
            .and_then(|t| t.strip_prefix("urn:ietf:params:acme:error:"))
            .unwrap_or("")
            .to_string(),
        other => format!("not a problem: {other}"),
    }
}

/// Unix seconds of an RFC 3339 text.
pub fn unix(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
        .unix_timestamp()
}
