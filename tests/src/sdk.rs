//! The real Azure SDK for Rust, pointed at a test vault: certificate, key and secret clients
//! that trust the vault's dev CA and never retry, the fake credential they authenticate with,
//! creating a certificate through the SDK poller (or only starting it), awaiting a call that must succeed (decoding
//! its body) or fail with a given status ([`SdkCall`]), and reading an SDK error's status and code.

use std::{
    future::{Future, IntoFuture},
    sync::Arc,
};

use azure_core::{
    credentials::{AccessToken, TokenCredential, TokenRequestOptions},
    http::{ClientOptions, DeserializeWith, Format, Response, RetryOptions, Transport},
    time::OffsetDateTime,
};
use azure_security_keyvault_certificates::{
    models::{
        Certificate, CertificateClientCreateCertificateOptions, CertificateOperation,
        CertificatePolicy, CreateCertificateParameters, ImportCertificateParameters,
        MergeCertificateParameters,
    },
    CertificateClient, CertificateClientOptions,
};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use futures::StreamExt as _;
use reqwest::StatusCode;

use crate::{raw_http::trusting_client, wait::DEADLINE};

/// A fake Entra ID credential: any token is accepted by the emulator.
#[derive(Debug, Default)]
pub struct FakeCredential;

#[async_trait::async_trait]
impl TokenCredential for FakeCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "e2e-fake-token",
            OffsetDateTime::now_utc() + ::time::Duration::hours(24),
        ))
    }
}

pub fn credential() -> Arc<dyn TokenCredential> {
    Arc::new(FakeCredential)
}

/// SDK client options: a transport trusting the dev CA and no retries (failures surface at once).
pub fn sdk_client_options(ca_pem: &str) -> ClientOptions {
    ClientOptions {
        transport: Some(Transport::new(Arc::new(trusting_client(ca_pem, None)))),
        retry: RetryOptions::none(),
        ..Default::default()
    }
}

pub fn certificate_client(endpoint: &str, ca_pem: &str) -> CertificateClient {
    CertificateClient::new(
        endpoint,
        credential(),
        Some(CertificateClientOptions {
            verify_challenge_resource: Some(false),
            client_options: sdk_client_options(ca_pem),
            ..Default::default()
        }),
    )
    .expect("build CertificateClient")
}

pub fn key_client(endpoint: &str, ca_pem: &str) -> KeyClient {
    KeyClient::new(
        endpoint,
        credential(),
        Some(KeyClientOptions {
            verify_challenge_resource: Some(false),
            client_options: sdk_client_options(ca_pem),
            ..Default::default()
        }),
    )
    .expect("build KeyClient")
}

pub fn secret_client(endpoint: &str, ca_pem: &str) -> SecretClient {
    SecretClient::new(
        endpoint,
        credential(),
        Some(SecretClientOptions {
            verify_challenge_resource: Some(false),
            client_options: sdk_client_options(ca_pem),
            ..Default::default()
        }),
    )
    .expect("build SecretClient")
}

/// Poller options that poll at least once a second when the server sends no Retry-After.
pub fn fast_poller() -> Option<CertificateClientCreateCertificateOptions<'static>> {
    Some(CertificateClientCreateCertificateOptions {
        method_options: azure_core::http::poller::PollerOptions {
            frequency: azure_core::time::Duration::seconds(1),
            ..Default::default()
        },
    })
}

/// Creates a certificate through the SDK poller and returns the final certificate.
pub async fn create_certificate(
    client: &CertificateClient,
    name: &str,
    policy: CertificatePolicy,
) -> Certificate {
    create_certificate_with(
        client,
        name,
        CreateCertificateParameters {
            certificate_policy: Some(policy),
            ..Default::default()
        },
    )
    .await
}

/// Imports `value` (base64 PFX or PEM, with its `password`) as `name`, optionally with a
/// `policy`, through the SDK; the certificate, or the SDK's error.
pub async fn import_certificate(
    client: &CertificateClient,
    name: &str,
    value: String,
    password: Option<&str>,
    policy: Option<CertificatePolicy>,
) -> azure_core::Result<Certificate> {
    let parameters = ImportCertificateParameters {
        base64_encoded_certificate: Some(value),
        password: password.map(str::to_string),
        certificate_policy: policy,
        ..Default::default()
    };
    client
        .import_certificate(
            name,
            parameters.try_into().expect("serialize import parameters"),
            None,
        )
        .await?
        .into_model()
}

/// Merges the chain `x5c` (DER or PEM blobs) into the pending certificate `name` through the
/// SDK; the certificate, or the SDK's error.
pub async fn merge_certificate(
    client: &CertificateClient,
    name: &str,
    x5c: Vec<Vec<u8>>,
) -> azure_core::Result<Certificate> {
    let parameters = MergeCertificateParameters {
        x509_certificates: Some(x5c),
        ..Default::default()
    };
    client
        .merge_certificate(
            name,
            parameters.try_into().expect("serialize merge parameters"),
            None,
        )
        .await?
        .into_model()
}

/// Starts creating `name` with `policy` through the SDK and takes only the poller's first
/// response (for a policy that stays pending, e.g. issuer `Unknown`); asserts that operation is
/// `inProgress` and returns it.
pub async fn begin_pending(
    client: &CertificateClient,
    name: &str,
    policy: CertificatePolicy,
) -> CertificateOperation {
    let parameters = CreateCertificateParameters {
        certificate_policy: Some(policy),
        ..Default::default()
    };
    let mut poller = client
        .begin_create_certificate(
            name,
            parameters.try_into().expect("serialize create parameters"),
            fast_poller(),
        )
        .unwrap_or_else(|err| panic!("begin_create_certificate({name}): {err}"));
    let first = poller
        .next()
        .await
        .unwrap_or_else(|| panic!("create {name}: a first response"))
        .unwrap_or_else(|err| panic!("create {name}: 202 Accepted: {err}"))
        .into_model()
        .unwrap_or_else(|err| panic!("create {name}: decode the operation: {err}"));
    assert_eq!(first.status.as_deref(), Some("inProgress"), "create {name}");
    first
}

/// Creates a certificate with whole create `parameters` through the SDK poller.
pub async fn create_certificate_with(
    client: &CertificateClient,
    name: &str,
    parameters: CreateCertificateParameters,
) -> Certificate {
    let poller = client
        .begin_create_certificate(
            name,
            parameters.try_into().expect("serialize"),
            fast_poller(),
        )
        .unwrap_or_else(|err| panic!("begin_create_certificate({name}): {err}"));
    tokio::time::timeout(DEADLINE, poller)
        .await
        .unwrap_or_else(|_| panic!("create {name}: poller did not finish within {DEADLINE:?}"))
        .unwrap_or_else(|err| panic!("create {name}: {err}"))
        .into_model()
        .unwrap_or_else(|err| panic!("create {name}: decode certificate: {err}"))
}

/// The HTTP status of an SDK error (panics with the error when there is none).
pub fn http_status(err: &azure_core::Error) -> StatusCode {
    let status = err
        .http_status()
        .unwrap_or_else(|| panic!("expected an HTTP error, got: {err}"));
    StatusCode::from_u16(u16::from(status)).expect("valid status")
}

/// The Key Vault error code of an SDK error, if the body carried one.
pub fn error_code(err: &azure_core::Error) -> Option<String> {
    match err.kind() {
        azure_core::error::ErrorKind::HttpResponse { error_code, .. } => error_code.clone(),
        _ => None,
    }
}

/// An SDK call (a request future, a poller, or a test's own call returning a result), awaited
/// the way a test expects it to end: succeeding with a body ([`SdkCall::model`]) or failing
/// with a status ([`SdkCall::fails`]).
pub trait SdkCall<R>: IntoFuture<Output = azure_core::Result<R>> + Sized {
    /// Awaits a call that must succeed and decodes its body; `what` names it in the panic.
    fn model(self, what: &str) -> impl Future<Output = R::Model>
    where
        R: Decode,
    {
        async move {
            self.await
                .unwrap_or_else(|err| panic!("{what}: {err}"))
                .decode()
                .unwrap_or_else(|err| panic!("{what}: decode: {err}"))
        }
    }

    /// Awaits a call that must fail with HTTP `status`; returns the error for further checks.
    fn fails(self, status: StatusCode, what: &str) -> impl Future<Output = azure_core::Error> {
        async move {
            let Err(err) = self.await else {
                panic!("{what}: expected {status}, the call succeeded");
            };
            assert_eq!(http_status(&err), status, "{what}: {err}");
            err
        }
    }

    /// Like [`SdkCall::fails`], and the body carries the Key Vault error `code`.
    fn fails_with(
        self,
        status: StatusCode,
        code: &str,
        what: &str,
    ) -> impl Future<Output = azure_core::Error> {
        async move {
            let err = self.fails(status, what).await;
            assert_eq!(error_code(&err).as_deref(), Some(code), "{what}: {err}");
            err
        }
    }
}

impl<R, C: IntoFuture<Output = azure_core::Result<R>>> SdkCall<R> for C {}

/// A response whose body a test decodes: the SDK's `Response<T, F>`, for [`SdkCall::model`].
pub trait Decode {
    type Model;
    fn decode(self) -> azure_core::Result<Self::Model>;
}

impl<T: DeserializeWith<F>, F: Format> Decode for Response<T, F> {
    type Model = T;
    fn decode(self) -> azure_core::Result<T> {
        self.into_model()
    }
}
