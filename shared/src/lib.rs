//! Code shared by the processes of this workspace.
//!
//! - [`acme`]: ACME (RFC 8555) protocol helpers: JWS/JWK verification, nonces, problem
//!   documents; used by vault's ACME server and ca-sim's ACME dialect.
//! - [`models`]: the Azure Key Vault certificates wire models (serde names match the REST API).
//! - [`crypto`]: key generation, certificates and CSRs, X.509 parsing, PKCS#12 and PEM, JWK.
//! - [`devtls`]: the dev CA and server certificate services keep in their data dir.
//! - [`b64`]: the base64 dialects Key Vault uses (standard padded out, lenient in).
//! - [`clock`]: the one notion of "now", shiftable for tests.
//! - [`duration`]: the one duration grammar of every flag and scenario file.
//! - [`server`]: the one TLS accept loop (HTTP/1.1 and HTTP/2, graceful shutdown).
//! - [`prometheus`]: labelled latency histograms in Prometheus text format.
//! - `fuzzing` (hidden): the bodies of the fuzz targets in `fuzz/`, shared with the corpus
//!   replay tests.

pub mod acme;
pub mod b64;
pub mod clock;
pub mod crypto;
pub mod devtls;
pub mod duration;
#[doc(hidden)]
pub mod fuzzing;
pub mod models;
pub mod prometheus;
pub mod server;
