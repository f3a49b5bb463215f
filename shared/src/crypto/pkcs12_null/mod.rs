//! Reading the certificates of a PFX written under the *null* password, which p12-keystore
//! cannot: RFC 7292 Appendix B.2 derives keys from the password as a NUL-terminated BMPString,
//! so the empty password `""` is the two bytes `00 00`, while the null password is no bytes at
//! all. OpenSSL and keytool write the first; .NET's `X509Certificate2.Export(Pfx)` without a
//! password writes the second (its `Pkcs12Kdf` treats `default` as an empty P block), with
//! 3DES cert bags and a SHA-1 MAC, and that is what Acmebot merges (acme-gateway spec §4).
//!
//! This walks the PFX with our DER reader: the MAC is checked under the null password (any of
//! SHA-1/256/384/512), PBES1 safes (3DES, RC2) are decrypted here, plain safes read directly,
//! and PBES2 safes, whose PBKDF2 takes the same empty byte string either way, are handed to
//! p12-keystore in a PFX of their own. Key bags are counted, never decrypted. [`read`] takes
//! any [`Password`] so the same code is checked against OpenSSL's files with a real password.

use super::der::{self, Element, Reader, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE};
use super::error::CryptoError;
use aws_lc_rs::{digest, hmac};
use cbc::cipher::{block_padding::Pkcs7, BlockModeDecrypt, KeyIvInit};
use p12_keystore::Pkcs12Archive;

const OID_DATA: &str = "1.2.840.113549.1.7.1";
const OID_ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const OID_PBE_3DES_3KEY: &str = "1.2.840.113549.1.12.1.3";
const OID_PBE_3DES_2KEY: &str = "1.2.840.113549.1.12.1.4";
const OID_PBE_RC2_128: &str = "1.2.840.113549.1.12.1.5";
const OID_PBE_RC2_40: &str = "1.2.840.113549.1.12.1.6";
const OID_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.1";
const OID_SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const OID_CERT_BAG: &str = "1.2.840.113549.1.12.10.1.3";
const OID_SAFE_CONTENTS_BAG: &str = "1.2.840.113549.1.12.10.1.6";
const OID_X509_CERT: &str = "1.2.840.113549.1.9.22.1";

/// p12-keystore's bound too: iteration counts come from the input, so they are capped.
const MAX_ITERATIONS: u32 = 1_000_000;
/// Nested safeContents bags deeper than this are refused rather than followed.
const MAX_NESTING: usize = 4;

/// A PFX password as the key derivations see it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Password<'a> {
    /// No password at all: an empty P block in the PKCS#12 KDF.
    Null,
    /// A password string: BMPString plus `00 00` in the PKCS#12 KDF. Production reads go
    /// through p12-keystore for these; the tests use it to hold this reader to OpenSSL's files.
    #[cfg_attr(not(test), allow(dead_code))]
    Text(&'a str),
}

impl<'a> Password<'a> {
    fn kdf_bytes(self) -> Vec<u8> {
        match self {
            Password::Null => Vec::new(),
            Password::Text(text) => text
                .encode_utf16()
                .chain([0])
                .flat_map(u16::to_be_bytes)
                .collect(),
        }
    }

    /// The password as PBKDF2 (PBES2) reads it: UTF-8, the null password being no bytes, the
    /// same as the empty one.
    fn pbkdf2_text(self) -> &'a str {
        match self {
            Password::Null => "",
            Password::Text(text) => text,
        }
    }
}

/// The certificates of the PFX in file order and the number of private keys it holds.
pub(crate) fn read(der: &[u8], password: Password) -> Result<(Vec<Vec<u8>>, usize), CryptoError> {
    let malformed = || pkcs12_error("The value is not a valid PKCS#12 (PFX) file.");
    let pfx = der::single(der, TAG_SEQUENCE).ok_or_else(malformed)?;
    let mut fields = Reader::new(pfx.content);
    let version = fields.next_tagged(TAG_INTEGER).ok_or_else(malformed)?;
    if version.content != [3] {
        return Err(malformed());
    }
    let auth_safe = fields.next_tagged(TAG_SEQUENCE).ok_or_else(malformed)?;
    let content = data_content(auth_safe).ok_or_else(malformed)?;
    if let Some(mac) = fields.next_element() {
        verify_mac(mac, content, password)?;
    }
    let mut out = (Vec::new(), 0);
    let mut safes = Reader::new(
        der::single(content, TAG_SEQUENCE)
            .ok_or_else(malformed)?
            .content,
    );
    while !safes.is_empty() {
        let safe = safes.next_tagged(TAG_SEQUENCE).ok_or_else(malformed)?;
        let content_type = content_type(safe).ok_or_else(malformed)?;
        if content_type == OID_DATA {
            let plain = data_content(safe).ok_or_else(malformed)?;
            walk_safe_contents(plain, &mut out, 0)?;
        } else if content_type == OID_ENCRYPTED_DATA {
            match decrypt_pbes1(safe, password)? {
                Some(plain) => walk_safe_contents(&plain, &mut out, 0)?,
                None => delegate(safe, password, &mut out)?,
            }
        } else {
            return Err(pkcs12_error(
                "The PFX uses a content type other than data or encryptedData.",
            ));
        }
    }
    Ok(out)
}

fn pkcs12_error(message: &str) -> CryptoError {
    CryptoError::Pkcs12(message.into())
}

fn unsupported() -> CryptoError {
    pkcs12_error(
        "The PFX could not be decrypted: the password is wrong or the encryption scheme is not supported.",
    )
}

/// The OID of a ContentInfo, as dotted text.
fn content_type(info: Element) -> Option<String> {
    let oid = Reader::new(info.content).next_tagged(TAG_OID)?;
    der::oid_to_string(oid.content)
}

/// The octets of a `data` ContentInfo: `SEQUENCE { OID data, [0] EXPLICIT OCTET STRING }`.
fn data_content<'a>(info: Element<'a>) -> Option<&'a [u8]> {
    let mut r = Reader::new(info.content);
    let oid = r.next_tagged(TAG_OID)?;
    if der::oid_to_string(oid.content)? != OID_DATA {
        return None;
    }
    let explicit = r.next_tagged(der::ctx_cons(0))?;
    Some(der::single(explicit.content, TAG_OCTET_STRING)?.content)
}

fn iterations(el: Option<Element>) -> Option<u32> {
    let bytes = el?.content;
    if bytes.is_empty() || bytes.len() > 4 || bytes[0] & 0x80 != 0 {
        return None;
    }
    let n = bytes.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b));
    (1..=MAX_ITERATIONS).contains(&n).then_some(n)
}

/// RFC 7292 Appendix B.2: `len` bytes of key material of kind `id` (1 key, 2 IV, 3 MAC key).
fn kdf(
    alg: &'static digest::Algorithm,
    password: &[u8],
    salt: &[u8],
    id: u8,
    rounds: u32,
    len: usize,
) -> Vec<u8> {
    let (u, v) = (alg.output_len(), alg.block_len());
    let fill = |src: &[u8]| -> Vec<u8> {
        (0..v * src.len().div_ceil(v))
            .map(|i| src[i % src.len()])
            .collect()
    };
    let diversifier = vec![id; v];
    let mut input = [fill(salt), fill(password)].concat();
    let mut out = Vec::with_capacity(len);
    loop {
        let mut ctx = digest::Context::new(alg);
        ctx.update(&diversifier);
        ctx.update(&input);
        let mut a = ctx.finish();
        for _ in 1..rounds {
            a = digest::digest(alg, a.as_ref());
        }
        let a = a.as_ref();
        let take = (len - out.len()).min(u);
        out.extend_from_slice(&a[..take]);
        if out.len() == len {
            return out;
        }
        // I_j = (I_j + B + 1) mod 2^v for every v-byte block of I, B being A repeated.
        for block in input.chunks_mut(v) {
            let mut carry = 1u16;
            for k in (0..v).rev() {
                let sum = u16::from(block[k]) + u16::from(a[k % u]) + carry;
                block[k] = sum as u8;
                carry = sum >> 8;
            }
        }
    }
}

/// `MacData ::= SEQUENCE { DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }`,
/// an HMAC over the authSafe content with a key from the PKCS#12 KDF.
fn verify_mac(mac: Element, content: &[u8], password: Password) -> Result<(), CryptoError> {
    let malformed = || pkcs12_error("The PFX has a malformed MAC.");
    if mac.tag != TAG_SEQUENCE {
        return Err(malformed());
    }
    let mut fields = Reader::new(mac.content);
    let digest_info = fields.next_tagged(TAG_SEQUENCE).ok_or_else(malformed)?;
    let salt = fields.next_tagged(TAG_OCTET_STRING).ok_or_else(malformed)?;
    let rounds = match fields.next_element() {
        None => 1,
        Some(el) if el.tag == TAG_INTEGER => iterations(Some(el)).ok_or_else(malformed)?,
        Some(_) => return Err(malformed()),
    };
    let mut info = Reader::new(digest_info.content);
    let alg_id = info.next_tagged(TAG_SEQUENCE).ok_or_else(malformed)?;
    let expected = info.next_tagged(TAG_OCTET_STRING).ok_or_else(malformed)?;
    let oid = Reader::new(alg_id.content)
        .next_tagged(TAG_OID)
        .and_then(|o| der::oid_to_string(o.content))
        .ok_or_else(malformed)?;
    let (digest_alg, hmac_alg) = match oid.as_str() {
        "1.3.14.3.2.26" => (
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        ),
        "2.16.840.1.101.3.4.2.1" => (&digest::SHA256, hmac::HMAC_SHA256),
        "2.16.840.1.101.3.4.2.2" => (&digest::SHA384, hmac::HMAC_SHA384),
        "2.16.840.1.101.3.4.2.3" => (&digest::SHA512, hmac::HMAC_SHA512),
        _ => return Err(pkcs12_error("The PFX uses an unsupported MAC algorithm.")),
    };
    let key_bytes = kdf(
        digest_alg,
        &password.kdf_bytes(),
        salt.content,
        3,
        rounds,
        digest_alg.output_len(),
    );
    hmac::verify(
        &hmac::Key::new(hmac_alg, &key_bytes),
        content,
        expected.content,
    )
    .map_err(|_| CryptoError::WrongPassword)
}

/// Decrypts an encryptedData ContentInfo protected by a PKCS#12 PBES1 scheme; `None` when it
/// uses another scheme (PBES2).
fn decrypt_pbes1(info: Element, password: Password) -> Result<Option<Vec<u8>>, CryptoError> {
    let malformed = || pkcs12_error("The PFX has a malformed encrypted safe.");
    // SEQUENCE { OID encryptedData, [0] EXPLICIT EncryptedData { version, EncryptedContentInfo } }
    let mut r = Reader::new(info.content);
    r.next_tagged(TAG_OID).ok_or_else(malformed)?;
    let explicit = r.next_tagged(der::ctx_cons(0)).ok_or_else(malformed)?;
    let encrypted_data = der::single(explicit.content, TAG_SEQUENCE).ok_or_else(malformed)?;
    let mut r = Reader::new(encrypted_data.content);
    r.next_tagged(TAG_INTEGER).ok_or_else(malformed)?;
    let eci = r.next_tagged(TAG_SEQUENCE).ok_or_else(malformed)?;
    // EncryptedContentInfo ::= SEQUENCE { contentType, AlgorithmIdentifier, [0] IMPLICIT OCTETS }
    let mut r = Reader::new(eci.content);
    r.next_tagged(TAG_OID).ok_or_else(malformed)?;
    let alg_id = r.next_tagged(TAG_SEQUENCE).ok_or_else(malformed)?;
    let Some(ciphertext) = r.next_tagged(der::ctx_prim(0)) else {
        return Err(malformed());
    };
    let mut alg = Reader::new(alg_id.content);
    let oid = alg
        .next_tagged(TAG_OID)
        .and_then(|o| der::oid_to_string(o.content))
        .ok_or_else(malformed)?;
    let key_len = match oid.as_str() {
        OID_PBE_3DES_3KEY => 24,
        OID_PBE_3DES_2KEY | OID_PBE_RC2_128 => 16,
        OID_PBE_RC2_40 => 5,
        _ => return Ok(None),
    };
    // pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
    let params = alg.next_tagged(TAG_SEQUENCE).ok_or_else(malformed)?;
    let mut p = Reader::new(params.content);
    let salt = p.next_tagged(TAG_OCTET_STRING).ok_or_else(malformed)?;
    let rounds = iterations(p.next_tagged(TAG_INTEGER)).ok_or_else(malformed)?;
    let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
    let pass = password.kdf_bytes();
    let key = kdf(sha1, &pass, salt.content, 1, rounds, key_len);
    let iv = kdf(sha1, &pass, salt.content, 2, rounds, 8);
    let data = ciphertext.content;
    let plain = match oid.as_str() {
        OID_PBE_3DES_3KEY => cbc_decrypt::<des::TdesEde3>(&key, &iv, data),
        OID_PBE_3DES_2KEY => cbc_decrypt::<des::TdesEde2>(&key, &iv, data),
        _ => cbc_decrypt::<rc2::Rc2>(&key, &iv, data),
    };
    plain.map(Some).ok_or_else(unsupported)
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>>
where
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
    C: cbc::cipher::BlockCipherDecrypt,
{
    let cipher = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    cipher.decrypt_padded_vec::<Pkcs7>(data).ok()
}

/// A safe in another scheme (PBES2): PBKDF2 reads the null password as the empty one, so
/// p12-keystore decrypts it from a PFX holding only this safe and no MAC (the MAC was checked
/// over the whole file already).
fn delegate(
    safe: Element,
    password: Password,
    out: &mut (Vec<Vec<u8>>, usize),
) -> Result<(), CryptoError> {
    let auth_safe = der::sequence(&[safe.raw]);
    let data = der::sequence(&[
        &der::oid_from_str(OID_DATA).unwrap_or_default(),
        &der::tlv(der::ctx_cons(0), &der::octet_string(&auth_safe)),
    ]);
    let pfx = der::sequence(&[&der::small_uint(3), &data]);
    let archive =
        Pkcs12Archive::from_pkcs12(&pfx, password.pbkdf2_text()).map_err(|_| unsupported())?;
    out.0
        .extend(archive.certs.iter().map(|bag| bag.cert.as_der().to_vec()));
    out.1 += archive.keys.len();
    Ok(())
}

/// `SafeContents ::= SEQUENCE OF SafeBag { bagId, [0] EXPLICIT bagValue, bagAttributes? }`.
fn walk_safe_contents(
    plain: &[u8],
    out: &mut (Vec<Vec<u8>>, usize),
    depth: usize,
) -> Result<(), CryptoError> {
    let malformed = || pkcs12_error("The PFX has a malformed safe.");
    if depth > MAX_NESTING {
        return Err(malformed());
    }
    let mut bags = Reader::new(
        der::single(plain, TAG_SEQUENCE)
            .ok_or_else(malformed)?
            .content,
    );
    while !bags.is_empty() {
        let bag = bags.next_tagged(TAG_SEQUENCE).ok_or_else(malformed)?;
        let mut r = Reader::new(bag.content);
        let bag_id = r
            .next_tagged(TAG_OID)
            .and_then(|o| der::oid_to_string(o.content))
            .ok_or_else(malformed)?;
        let value = r.next_tagged(der::ctx_cons(0)).ok_or_else(malformed)?;
        match bag_id.as_str() {
            OID_KEY_BAG | OID_SHROUDED_KEY_BAG => out.1 += 1,
            OID_SAFE_CONTENTS_BAG => walk_safe_contents(value.content, out, depth + 1)?,
            OID_CERT_BAG => {
                // CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING }
                let cert_bag = der::single(value.content, TAG_SEQUENCE).ok_or_else(malformed)?;
                let mut c = Reader::new(cert_bag.content);
                let cert_id = c
                    .next_tagged(TAG_OID)
                    .and_then(|o| der::oid_to_string(o.content))
                    .ok_or_else(malformed)?;
                if cert_id != OID_X509_CERT {
                    return Err(pkcs12_error(
                        "The PFX holds a certificate that is not X.509.",
                    ));
                }
                let explicit = c.next_tagged(der::ctx_cons(0)).ok_or_else(malformed)?;
                let octets =
                    der::single(explicit.content, TAG_OCTET_STRING).ok_or_else(malformed)?;
                out.0.push(octets.content.to_vec());
            }
            // CRL and secret bags carry nothing a certificate chain needs.
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
