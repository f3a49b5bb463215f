//! Byte-level helpers: base64 in its strict forms, digests, PEM blocks, and searching bytes in
//! the files of a data dir (the encryption-at-rest checks).

use std::path::{Path, PathBuf};

use base64::Engine as _;

pub fn b64_std(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict standard base64 with padding (what `cer` must be).
pub fn decode_b64_std_strict(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|err| panic!("not standard padded base64 ({err}): {s:?}"))
}

/// Strict base64url without padding (what `x5t` must be).
pub fn decode_b64url_strict(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap_or_else(|err| panic!("not base64url without padding ({err}): {s:?}"))
}

pub fn sha1(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
        .as_ref()
        .to_vec()
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// PEM blocks in order: `(label, der)`.
pub fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            current = Some((label.to_string(), String::new()));
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            let (begin, body) = current.take().expect("END without BEGIN");
            assert_eq!(begin, label, "mismatched PEM labels");
            blocks.push((label.to_string(), decode_b64_std_strict(&body)));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    assert!(current.is_none(), "unterminated PEM block");
    blocks
}

/// Does `haystack` contain `needle`?
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// All regular files below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let entry = entry.expect("dir entry");
            let ft = entry.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_round_trip() {
        let text = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            b64_std(b"key"),
            b64_std(b"cert")
        );
        let blocks = pem_blocks(&text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0], ("PRIVATE KEY".to_string(), b"key".to_vec()));
        assert_eq!(blocks[1], ("CERTIFICATE".to_string(), b"cert".to_vec()));
    }
}
