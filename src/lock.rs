//! The host-wide lock around kernel changes.
//!
//! Two vimage processes changing the kernel at once could pick the same bridge or hand out
//! the same MAC; peers that skipped this lock are where "only one jail came up at boot" bugs
//! come from (reference/peers.md §0.9). The lock is flock(2) on a file under /var/run, so it
//! disappears with the process that held it, even after `kill -9`. The holder writes its pid
//! and what it is doing into the file, so a waiter can say who it waited for.

use crate::error::{Error, Kind, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use vimage_base::file::{self, LockError, Wait};

/// Held while it lives; dropping it releases the lock.
#[derive(Debug)]
pub struct HostLock {
    file: File,
    path: PathBuf,
}

impl HostLock {
    /// Waits up to `timeout` for the lock; `what` (e.g. "bridge web1") is shown to others.
    pub fn acquire(path: &Path, what: &str, timeout: Duration) -> Result<HostLock> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::new(Kind::CantCreate, format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut file = file::open_lock_file(path)
            .map_err(|e| Error::new(Kind::CantCreate, format!("cannot open lock file {}: {e}", path.display())))?;
        match file::lock(&file, Wait::Upto(timeout)) {
            Ok(()) => {}
            Err(LockError::Busy) => {
                let mut holder = String::new();
                let _ = file.seek(SeekFrom::Start(0));
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(Error::new(
                    Kind::TempFail,
                    format!(
                        "another vimage holds the host lock {} ({}); gave up after {}s",
                        path.display(),
                        if holder.is_empty() { "holder unknown" } else { holder },
                        timeout.as_secs()
                    ),
                ));
            }
            Err(LockError::Io(e)) => {
                return Err(Error::new(Kind::Os, format!("cannot lock {}: {e}", path.display())));
            }
        }
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = write!(file, "pid {} {what}", std::process::id());
        let _ = file.flush();
        Ok(HostLock { file, path: path.to_path_buf() })
    }

    /// Where the lock lives.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for HostLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// `VIMAGE_DB_BUSY_TIMEOUT` as a duration, if set to a usable number of seconds: how long to
/// wait for an SQLite database another process holds (CBSD's and vimage's own alike), here
/// with the host lock so both the records and CBSD's data read it from below.
pub fn busy_timeout_from_env() -> Option<Duration> {
    busy_timeout_from(std::env::var("VIMAGE_DB_BUSY_TIMEOUT").ok().as_deref())
}

/// `VIMAGE_DB_BUSY_TIMEOUT`'s value as a duration; `None` unless it is a usable number of
/// seconds (a huge one such as `1e300` is not: `from_secs_f64` would panic on it).
pub fn busy_timeout_from(v: Option<&str>) -> Option<Duration> {
    v.and_then(|v| v.trim().parse::<f64>().ok()).and_then(|s| Duration::try_from_secs_f64(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_times_out_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("var/run/vimage.lock");
        let a = HostLock::acquire(&p, "bridge web1", Duration::from_secs(1)).unwrap();
        let e = HostLock::acquire(&p, "bridge web2", Duration::from_millis(100)).unwrap_err();
        assert_eq!(e.exit_code(), 75);
        assert!(e.message.contains("bridge web1"), "{e}");
        assert!(e.message.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(a);
        HostLock::acquire(&p, "bridge web2", Duration::from_millis(100)).unwrap();
    }
}
