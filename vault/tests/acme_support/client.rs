//! `instant-acme` against a [`Server`]: accounts, one call that orders and downloads a
//! certificate (with a profile or `replaces` when asked), answering http-01 challenges
//! (`always-valid`), the RFC 9773 certID of a certificate, and reading problems.

use super::Server;
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, ExternalAccountKey,
    Identifier, NewAccount, NewOrder, Order, OrderStatus, RetryPolicy,
};
use std::time::Duration;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The polling the ACME tests use: from 20 ms, 1.5 times longer each time, for 20 s at most.
pub fn retries() -> RetryPolicy {
    RetryPolicy::new()
        .initial_delay(Duration::from_millis(20))
        .backoff(1.5)
        .timeout(Duration::from_secs(20))
}

/// A new account at `server` with these `contact`s and external account binding (if any),
/// the client's error returned.
pub async fn try_account(
    server: &Server,
    contact: &[&str],
    eab: Option<&ExternalAccountKey>,
) -> Result<(Account, AccountCredentials), instant_acme::Error> {
    server
        .acme_builder()
        .create(
            &NewAccount {
                contact,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            server.directory(),
            eab,
        )
        .await
}

/// A new account at `server` (no contact, no binding); panics on any error.
pub async fn account(server: &Server) -> Account {
    try_account(server, &[], None).await.expect("new account").0
}

/// Marks the http-01 challenge of each of `order`'s authorizations that is not valid yet ready
/// (with `always-valid` validation that is all an order needs).
pub async fn ready_http01(order: &mut Order) -> Result<(), instant_acme::Error> {
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
    Ok(())
}

/// An issued certificate: its chain (as downloaded, and DER, leaf first), the key its CSR was
/// made with (PKCS#8 DER) and the order's URL.
pub struct Issued {
    /// The chain as downloaded (PEM).
    pub pem: String,
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

impl<'a> Options<'a> {
    /// An order replacing the certificate with certID `id` (RFC 9773 `replaces`).
    pub fn replacing(id: &'a str) -> Self {
        Self {
            replaces: Some(id),
            ..Self::default()
        }
    }
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
    ready_http01(&mut order).await?;
    assert_eq!(order.poll_ready(&retries()).await?, OrderStatus::Ready);
    let key = rcgen::KeyPair::generate().expect("P-256 key");
    order.finalize_csr(&csr_on(&key, names)).await?;
    let pem = order.poll_certificate(&retries()).await?;
    Ok(Issued {
        chain: pem_chain(&pem),
        pem,
        key_pkcs8: key.serialize_der(),
        order_url: order.url().to_string(),
    })
}

/// A CSR (DER) for the DNS `names` on `key`, without a subject (the names are in the SANs;
/// rcgen's default CN is not one of them).
pub fn csr_on(key: &rcgen::KeyPair, names: &[&str]) -> Vec<u8> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).expect("CSR params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.serialize_request(key).expect("CSR").der().to_vec()
}

/// [`csr_on`] a fresh P-256 key.
pub fn csr(names: &[&str]) -> Vec<u8> {
    csr_on(&rcgen::KeyPair::generate().expect("P-256 key"), names)
}

/// The DER certificates of a PEM chain, in order.
pub fn pem_chain(pem: &str) -> Vec<Vec<u8>> {
    shared::crypto::pem_blocks(pem)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect()
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
