//! The bodies of the fuzz targets in `fuzz/` (cargo-fuzz) that exercise this crate, kept in the
//! library so a target and the replay of its committed corpus (`tests/fuzz_corpus.rs`, run by
//! `cargo test` on stable) call the same code. Each function asserts its target's property;
//! a panic is a crash. Also [`RawRequest`], the text form of one HTTP request that the
//! request-level targets of vault and ca-sim read. Not an API: hidden from the docs.

use crate::crypto::{self, CryptoError, PrivateKey};

/// The password of the seed PFX files (the handbook's fixtures). An input that does not open
/// with it is read again without one, as an import that leaves `pwd` out.
pub const PFX_PASSWORD: &str = "Fixture-Pass1";

/// PFX parsing (`crypto::pkcs12_parse`, what import reads a PFX with), then what import does
/// next with the certificates. Property: no panic, and what was read comes back unchanged
/// through Key Vault's PEM form of the secret (`pem_bundle` → `pem_blocks` / `from_pem`).
pub fn pkcs12(data: &[u8]) {
    let parsed = match crypto::pkcs12_parse(data, PFX_PASSWORD) {
        Err(CryptoError::WrongPassword) => crypto::pkcs12_parse(data, ""),
        other => other,
    };
    let Ok((key, certs)) = parsed else {
        return;
    };
    for der in &certs {
        let _ = crypto::parse_certificate(der);
    }
    let pem = crypto::pem_bundle(key.as_ref(), &certs);
    let back: Vec<Vec<u8>> = crypto::pem_blocks(&pem)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect();
    assert_eq!(back, certs, "the PEM bundle changed the certificates");
    if let Some(key) = key {
        let again = PrivateKey::from_pem(&pem)
            .unwrap_or_else(|e| panic!("the PEM bundle's key does not read back: {e}"));
        assert_eq!(
            again.pkcs8_der(),
            key.pkcs8_der(),
            "the PEM bundle changed the key"
        );
    }
}

/// CSR parsing (`crypto::parse_csr`, what ca-sim reads every order's CSR with) and, on the
/// same DER, certificate parsing and the checks chains use. Property: no panic.
pub fn csr(data: &[u8]) {
    let _ = crypto::parse_csr(data);
    if crypto::parse_certificate(data).is_ok() {
        let _ = crypto::x5t(data);
        let _ = crypto::verify_certificate_signature(data, data);
    }
}

/// The committed corpus of fuzz target `target` (`fuzz/corpus/<target>/`), by file name, for
/// the replay tests. Panics when the folder is missing or empty: a replay that reads nothing
/// must not pass.
pub fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} is missing: {e}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| {
            let path = entry
                .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
                .path();
            let bytes =
                std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            (path.display().to_string(), bytes)
        })
        .collect();
    assert!(!files.is_empty(), "corpus {} is empty", dir.display());
    files.sort();
    files
}

/// Runs `body` on every file of `target`'s committed corpus; a failure names the file.
/// Returns how many files ran.
pub fn replay<T>(target: &str, body: impl Fn(&[u8]) -> T) -> usize {
    let files = corpus(target);
    for (name, data) in &files {
        if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{target}: {name} fails: {message}");
        }
    }
    files.len()
}

/// One HTTP request as text, the input of the request-level targets:
///
/// ```text
/// METHOD TARGET
/// Name: value
/// ...
///
/// body
/// ```
///
/// Lines end in `\n` or `\r\n`; the body (everything after the first empty line) is bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRequest {
    pub method: String,
    /// The request target: a path with an optional query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// Reads the text form; `None` when the head is not UTF-8 or the first line is not
    /// `METHOD TARGET`.
    pub fn parse(data: &[u8]) -> Option<RawRequest> {
        let (head, body) = split_head(data);
        let head = std::str::from_utf8(head).ok()?;
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let (method, target) = lines.next()?.split_once(' ')?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        Some(RawRequest {
            method: method.to_string(),
            target: target.to_string(),
            headers,
            body: body.to_vec(),
        })
    }

    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Adds header `name` unless the request already has it.
    pub fn default_header(&mut self, name: &str, value: &str) {
        if self.header(name).is_none() {
            self.headers.push((name.to_string(), value.to_string()));
        }
    }

    /// As an `http` request; `None` when hyper would refuse it before a service sees it (a
    /// method, target or header that is not valid HTTP).
    pub fn to_http(&self) -> Option<hyper::Request<Vec<u8>>> {
        let mut builder = hyper::Request::builder()
            .method(self.method.as_str())
            .uri(self.target.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(self.body.clone()).ok()
    }
}

/// Splits at the first empty line: (head, body). Without one, it is all head.
fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    for (i, pair) in data.windows(2).enumerate() {
        if pair == b"\n\n" {
            return (&data[..i], &data[i + 2..]);
        }
        if pair == b"\n\r" && data.get(i + 2) == Some(&b'\n') {
            return (&data[..i], &data[i + 3..]);
        }
    }
    (data, &[])
}

#[cfg(test)]
mod tests {
    use super::RawRequest;

    #[test]
    fn raw_request_reads_head_and_body() {
        let r =
            RawRequest::parse(b"POST /a?b=1\r\nX-One: 1\r\nx-two:2\r\n\r\n{\"k\":\n\n1}").unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/a?b=1");
        assert_eq!(r.header("x-one"), Some("1"));
        assert_eq!(r.header("X-Two"), Some("2"));
        assert_eq!(r.body, b"{\"k\":\n\n1}");
        let http = r.to_http().unwrap();
        assert_eq!(http.uri().query(), Some("b=1"));

        let bare = RawRequest::parse(b"GET /x").unwrap();
        assert_eq!((bare.target.as_str(), bare.body.len()), ("/x", 0));
        assert!(RawRequest::parse(b"nospace\n\nbody").is_none());
        assert!(RawRequest::parse(b"GET /x\nBad Header: \x01\n\n")
            .unwrap()
            .to_http()
            .is_none());
    }
}
