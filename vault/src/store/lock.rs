//! One vault process per data dir: an exclusive lock on `vault.lock` in the data dir, taken
//! before anything else there is read or written and held until the server has stopped. A
//! second process on the same data dir is refused at start with a message that says so. The
//! lock is SQLite's own file lock on that small database (`locking_mode = EXCLUSIVE`), which
//! works across processes and between two opens in one process alike, on every platform
//! SQLite runs on.
//!
//! Why refuse rather than share: the issuance worker's lease protocol (`issuance::lease`)
//! would keep two processes from ordering twice, but each process also keeps a read cache
//! of names and operations (`store::cache`) that the other's commits would leave stale. The
//! lock is also what lets a starting vault drop the leases it finds (their owners are dead),
//! so a restart after `kill -9` resumes at once instead of waiting out the lease term. The
//! kernel releases the lock when the process dies, however it dies.

use rusqlite::{Connection, ErrorCode};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The lock file in the data dir.
pub const LOCK_FILE: &str = "vault.lock";

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataDirLock {
    _conn: Connection,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the data dir's lock, or says that another process holds it.
    pub fn acquire(data_dir: &Path) -> Result<Self, String> {
        let path = data_dir.join(LOCK_FILE);
        let cannot = |e: rusqlite::Error| format!("cannot lock {}: {e}", path.display());
        let conn = Connection::open(&path).map_err(cannot)?;
        conn.busy_timeout(Duration::ZERO).map_err(cannot)?;
        // EXCLUSIVE locking mode keeps the write lock of the first transaction until the
        // connection closes: that lock (an OS file lock) is the data dir's lock.
        conn.query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| {
            r.get::<_, String>(0)
        })
        .map_err(cannot)?;
        let taken = conn.execute_batch(&format!(
            "BEGIN EXCLUSIVE; \
             CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL); \
             DELETE FROM holder; INSERT INTO holder (pid) VALUES ({}); COMMIT;",
            std::process::id()
        ));
        match taken {
            Ok(()) => Ok(Self { _conn: conn, path }),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
            {
                Err(format!(
                    "the data dir {} is in use by another vault process: one data dir serves \
                     one vault process at a time (its lock {} is held). Stop that process or \
                     start this one with another --data-dir.",
                    data_dir.display(),
                    path.display()
                ))
            }
            Err(e) => Err(cannot(e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let err = DataDirLock::acquire(dir.path()).unwrap_err();
        assert!(err.contains("in use by another vault process"), "{err}");
        drop(first);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
