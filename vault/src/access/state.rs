//! The access document in force and where it comes from: loaded from `--access FILE` at start,
//! swapped at runtime (`PUT /_admin/access`, written back to the file atomically) and
//! re-read on SIGHUP ([`super::reload`]). The decision itself is in [`super::check`].

use super::doc::AccessDoc;
use super::index::DocIndex;
use super::load;
use crate::error::Error;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The current access document, swappable at runtime (admin API, SIGHUP), with the look-up
/// tables the per-request decision reads ([`DocIndex`], rebuilt on each swap).
pub struct Access {
    current: RwLock<Arc<DocIndex>>,
    /// `--access FILE`: re-read on SIGHUP, rewritten by `PUT /_admin/access`.
    file: Option<PathBuf>,
}

impl Access {
    /// An access document that lives only in memory (no file behind it).
    pub fn new(doc: AccessDoc) -> Self {
        Self {
            current: RwLock::new(Arc::new(DocIndex::new(Arc::new(doc)))),
            file: None,
        }
    }

    /// The document of `--access FILE`, or an empty one without a file. `Error::Config` names
    /// the file and the exact problem.
    pub fn load(path: Option<&Path>) -> Result<Access, Error> {
        let Some(path) = path else {
            return Ok(Self::new(AccessDoc::default()));
        };
        let doc = read_file(path)?;
        Ok(Self {
            current: RwLock::new(Arc::new(DocIndex::new(Arc::new(doc)))),
            file: Some(path.to_path_buf()),
        })
    }

    /// The file behind the document, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The document in force.
    pub fn doc(&self) -> Arc<AccessDoc> {
        self.with_index(|index| index.doc.clone())
    }

    /// Runs `f` on the document in force and its look-up tables, under the read lock (the
    /// per-request path: no reference count touched; `f` must not block).
    pub(crate) fn with_index<R>(&self, f: impl FnOnce(&DocIndex) -> R) -> R {
        match self.current.read() {
            Ok(current) => f(&current),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    /// Replaces the document in force (in memory only). The look-up tables are built before
    /// the lock is taken, so requests never wait for that.
    pub fn replace(&self, doc: AccessDoc) {
        let index = Arc::new(DocIndex::new(Arc::new(doc)));
        let mut slot = match self.current.write() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = index;
    }

    /// Re-reads the file (SIGHUP). On error the document in force stays; `Ok(false)` when
    /// there is no file.
    pub fn reload(&self) -> Result<bool, Error> {
        let Some(path) = &self.file else {
            return Ok(false);
        };
        let doc = read_file(path)?;
        self.replace(doc);
        Ok(true)
    }

    /// Puts a validated document in force and, when there is a file, writes it there first
    /// (temp file + rename, so a reader never sees half a document) so SIGHUP and restarts
    /// keep it.
    pub fn save(&self, doc: AccessDoc) -> Result<(), Error> {
        if let Some(path) = &self.file {
            let text = toml::to_string(&doc)
                .map_err(|e| Error::Internal(format!("access document to TOML: {e}")))?;
            write_atomically(path, text.as_bytes())?;
        }
        self.replace(doc);
        Ok(())
    }

    /// The directory relative certificate paths in a new document are resolved against.
    pub fn base_dir(&self) -> Option<&Path> {
        self.file.as_deref().map(file_dir)
    }
}

/// Reads and validates an access file.
pub fn read_file(path: &Path) -> Result<AccessDoc, Error> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("access file {origin}: cannot read it: {e}")))?;
    let doc = load::from_toml(&text, &format!("access file {origin}")).map_err(Error::Config)?;
    load::prepare(doc, Some(file_dir(path)), &format!("access file {origin}"))
        .map_err(Error::Config)
}

fn file_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "access.toml".into());
    let tmp = file_dir(path).join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::Io(e)
    })
}
