//! Certificate download (RFC 8555 §7.4.2): POST-as-GET of `cert/{id}` answers the chain as
//! `application/pem-certificate-chain` (leaf first) and lists the alternate chains in
//! `Link: <…/cert/{id}/{n}>;rel="alternate"`; `cert/{id}/{n}` is alternate chain `n`
//! (the local CA's cross-signed path). Only the ordering account may download.

use super::load::is_local;
use crate::acme::reply::{not_found, unauthorized, Reply};
use crate::acme::request::{AcmeRequest, Cx};
use shared::acme::problem::Problem;

/// `POST /acme/cert/{id}` (`n` = 0) and `POST /acme/cert/{id}/{n}` (alternate chain `n`).
pub async fn download(cx: &Cx, req: AcmeRequest, id: &str, n: usize) -> Result<Reply, Problem> {
    req.require_post_as_get()?;
    let account = req.account()?;
    let key = id.to_string();
    let cert = cx
        .store(move |s| s.acme_cert(&key))
        .await?
        .ok_or_else(|| not_found("certificate"))?;
    if cert.account_id != account.record.id {
        return Err(unauthorized(
            "The certificate was issued to another account.",
        ));
    }
    let alternates = if is_local(&cert.profile) {
        cx.acme.ca.alternate_chains()
    } else {
        Vec::new()
    };
    let chain: Vec<&[u8]> = match n {
        0 => cert.chain.iter().map(Vec::as_slice).collect(),
        n => {
            let above = alternates
                .get(n - 1)
                .ok_or_else(|| not_found("alternate chain"))?;
            let leaf = cert.chain.first().map(Vec::as_slice).unwrap_or_default();
            std::iter::once(leaf)
                .chain(above.iter().map(Vec::as_slice))
                .collect()
        }
    };
    let pem: String = chain
        .iter()
        .map(|der| shared::crypto::pem_encode("CERTIFICATE", der))
        .collect();
    let mut reply = Reply::bytes("application/pem-certificate-chain", pem.into_bytes());
    for other in (0..=alternates.len()).filter(|i| *i != n) {
        let url = match other {
            0 => cx.urls.cert(id),
            i => cx.urls.cert_alternate(id, i),
        };
        reply = reply.link(url, "alternate");
    }
    Ok(reply)
}
