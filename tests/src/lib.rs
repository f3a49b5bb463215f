//! End-to-end test harness: real vault servers (in-process or the real binary) and ca-sim,
//! driven by the real Azure SDK for Rust and by raw HTTP.
//!
//! Layout, by what each module starts or drives (tests import everything from the crate root):
//! - `test_vault`: [`TestVault`], an in-process vault on `127.0.0.1:0` with a throwaway data dir;
//!   restartable on the same data dir; hands out SDK clients and raw HTTP that trust its dev CA.
//! - `vault_process`: [`VaultProcess`], the real `vault` binary spawned on port 0 and killed on
//!   drop (built on demand by [`vault_binary`]); [`spawn_captured`], a binary whose output is
//!   collected line by line.
//! - `in_process`: what both in-process servers share (data dir, re-applied configuration,
//!   handle and shutdown token, stop with a deadline).
//! - `test_ca_sim`: [`TestCaSim`], an in-process ca-sim that can stop and come back on the same
//!   port; [`CaSimAdmin`], its `/admin/` API.
//! - `sdk`: SDK clients ([`certificate_client`], [`key_client`], [`secret_client`]) with the
//!   [`FakeCredential`], creating through the SDK poller, importing and merging, a call that must succeed or fail with a
//!   status ([`SdkCall`]), an SDK error's status and code.
//! - `entra`: `azure_identity`'s client-secret credential and a certificate client with the
//!   default challenge verification, over a transport through vault's drop-in proxy
//!   ([`via_proxy`]) or resolving host names to it ([`resolving`]); the access file.
//! - `sdk_apps`: the Python and JavaScript SDK apps of `tests/sdk-apps/`, installed once
//!   ([`sdk_apps`]) and run with nothing but an environment ([`run_app`], [`AppEnv`]).
//! - `certbot`: certbot of that venv ([`certbot_binary`]) running a README's command
//!   ([`CertbotCommand`], [`run_certbot`]) and the check of the lineage it wrote
//!   ([`check_lineage`]).
//! - `raw_http`: [`Raw`] / [`RawResponse`], authorised raw HTTP with Key Vault error checks, and
//!   [`trusting_client`].
//! - `operations`: the create-then-poll flow on [`Raw`] ([`Raw::start_create`],
//!   [`Raw::pending`], [`Raw::wait_operation`], [`Raw::wait_finished`],
//!   [`Raw::create_and_wait`]).
//! - `policies`: certificate policies as SDK models and as wire JSON.
//! - `partners`: the three partner CAs through ca-sim ([`Provider`]: dialects, built-in accounts,
//!   issuer bodies), the partnered policy, and vault wired to ca-sim ([`partner_config`] in
//!   process, [`partner_vault_args`] for the binary).
//! - `wait`: [`eventually`], polling with a deadline instead of sleeping for state, and
//!   [`DEADLINE`].
//! - `ids`: Key Vault ids split into collection, name and version.
//! - `crypto`: SPKI/JWK comparison, PKCS#8 ↔ certificate matching, opening a PFX, signature
//!   verification with a certificate's public key.
//! - `acme`: vault as the client of an ACME CA ([`acme_client_vault`]), the PEM create body,
//!   the issued chain ([`issued_chain`]), cancelling while the CA holds the order, [`free_port`].
//! - `browser`: [`Browser`], headless Chromium through chromedriver (WebDriver) for the
//!   dashboard tests, one at a time, killed on drop; `browser_page` its page helpers (waits
//!   with a deadline, clicks, forms, screenshots); `browser_checks` the checks of a page
//!   (console errors, foreign resources, colour scheme, [`Legibility`]).
//! - `bytes`: strict base64, digests, PEM blocks, searching bytes in a data dir's files.
//!
//! Dependencies point one way: the servers and `operations` use `raw_http`, `sdk` and `wait`
//! (the servers through `in_process`);
//! `partners` uses `raw_http` and `test_ca_sim`; `acme` uses `test_vault`, `partners` and
//! `crypto`; `browser_page` uses `browser` and `wait`, `browser_checks` uses both; `raw_http`
//! and `entra` use only `wait`; this file only declares and re-exports.

mod acme;
mod browser;
mod browser_checks;
mod browser_page;
mod bytes;
mod certbot;
mod crypto;
mod entra;
mod ids;
mod in_process;
mod operations;
mod partners;
mod policies;
mod raw_http;
mod sdk;
mod sdk_apps;
mod test_ca_sim;
mod test_vault;
mod vault_process;
mod wait;

pub use serde_json::json;

pub use self::acme::{
    acme_client_vault, assert_sans_name, cancel_pending_at_ca, free_port, issued_chain,
    pem_create_body,
};
pub use self::browser::{Browser, CHROMEDRIVER};
pub use self::browser_checks::Legibility;
pub use self::bytes::{
    b64_std, b64url, contains_bytes, decode_b64_std_strict, decode_b64url_strict, files_below,
    pem_blocks, sha1, sha256,
};
pub use self::certbot::{
    certbot_binary, check_lineage, flag_value, readme_sh_block, run_certbot, with_flag,
    CertbotCommand, CertbotRun, CERTBOT_TIMEOUT,
};
pub use self::crypto::{
    assert_chain_for_csr, certificates_in_pem, ec_private_scalar, open_pfx_of, parse_cert,
    private_key_matches_cert, sign_csr_with, spki_key, strip_leading_zeros, verify_cert_signed_by,
    verify_with_cert, SpkiKey, OID_P256, OID_P384, OID_P521,
};
pub use self::entra::{
    entra_certificate_client, resolving, secret_credential, via_proxy, write_access_file, TENANT_ID,
};
pub use self::ids::{is_version, split_id, version_of};
pub use self::partners::{
    cn_of, partner_config, partner_policy, partner_vault_args, put_issuer, put_partner_issuers,
    set_profile, Provider,
};
pub use self::policies::{ec_policy, policy_with_key, rsa_policy, self_signed_ec_policy_json};
pub use self::raw_http::{api, trusting_client, with_api_version, Raw, RawResponse, API_VERSION};
pub use self::sdk::{
    begin_pending, certificate_client, create_certificate, create_certificate_with, credential,
    error_code, fast_poller, http_status, import_certificate, key_client, merge_certificate,
    sdk_client_options, secret_client, FakeCredential, SdkCall,
};
pub use self::sdk_apps::{
    run_app, sdk_apps, AppEnv, AppIdentity, AppRun, Sdk, SdkApps, APP_TIMEOUT,
};
pub use self::test_ca_sim::{CaSimAdmin, TestCaSim};
pub use self::test_vault::TestVault;
pub use self::vault_process::{
    ca_sim_binary, find_loopback_port, spawn_captured, vault_binary, Captured, VaultProcess,
};
pub use self::wait::{eventually, DEADLINE};
