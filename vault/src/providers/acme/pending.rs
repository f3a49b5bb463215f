//! The orders an adapter has yet to finalize, on disk: finalize needs the operation's CSR, and
//! the worker's polls after a restart only name the order. One JSON file per order in
//! `<data dir>/acme-client/pending/` (`{"reference", "csr"}`, base64url DER; a CSR is public),
//! written when the order is placed or found, removed once it is finalized, final or cancelled.

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// An order this vault placed or found and has not finalized yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pending {
    /// Vault's request id of the operation the order belongs to.
    pub reference: String,
    #[serde(with = "b64url")]
    pub csr_der: Vec<u8>,
}

mod b64url {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&shared::b64::url_encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        shared::b64::decode_lenient(&text).map_err(serde::de::Error::custom)
    }
}

pub(crate) struct PendingStore {
    dir: PathBuf,
}

impl PendingStore {
    pub(crate) fn new(data_dir: &std::path::Path) -> Self {
        PendingStore {
            dir: data_dir.join("acme-client").join("pending"),
        }
    }

    fn path(&self, order_url: &str) -> PathBuf {
        let name = hex::encode(digest::digest(&digest::SHA256, order_url.as_bytes()).as_ref());
        self.dir.join(format!("{name}.json"))
    }

    /// Best effort: a failed write only loses the restart case, logged.
    pub(crate) fn save(&self, order_url: &str, pending: &Pending) {
        let path = self.path(order_url);
        let tmp = path.with_extension("tmp");
        let written = std::fs::create_dir_all(&self.dir)
            .and_then(|()| {
                let text = serde_json::to_vec(pending).map_err(std::io::Error::other)?;
                std::fs::write(&tmp, text)
            })
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            tracing::warn!(error = %e, "cannot keep the ACME order's CSR on disk");
        }
    }

    pub(crate) fn load(&self, order_url: &str) -> Option<Pending> {
        let bytes = std::fs::read(self.path(order_url)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub(crate) fn remove(&self, order_url: &str) {
        let _ = std::fs::remove_file(self.path(order_url));
    }
}
