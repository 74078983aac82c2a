//! Replacing a host file safely, and a lock so that two vimage processes do not edit the same
//! file at once: vimage's errors over the one implementation in `vimage_base::file`.
//!
//! A crash or a full disk in the middle of a plain rewrite would leave `/etc/rc.conf` or
//! `/etc/devfs.rules` truncated, and the next boot would run with half a configuration. With
//! rename(2) a reader sees either the old file or the new one, never a mix.

use crate::error::{Error, Kind, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;
use vimage_base::file::{self as base, LockError, Symlink, Wait};

/// How long [`with_file_lock`] waits for another vimage to finish editing the same file.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Replaces `path` with `contents` atomically. The new file keeps the old one's mode, owner
/// and group (a new file gets mode 0644); a symlink is followed and its target replaced, so
/// a linked rc.conf stays linked. Errors are `CantCreate` (73) and name the file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    base::write_atomic(path, contents, Symlink::Follow).map_err(|e| Error::new(Kind::CantCreate, e.to_string()))
}

/// Runs `f` while holding an exclusive flock(2) on `<path>.lock`, waiting up to
/// [`DEFAULT_LOCK_TIMEOUT`]. See [`with_file_lock_timeout`].
pub fn with_file_lock<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    with_file_lock_timeout(path, DEFAULT_LOCK_TIMEOUT, f)
}

/// Runs `f` while holding an exclusive flock(2) on `<path>.lock`, so read-modify-write cycles
/// of two vimage processes on the same file do not lose each other's edits. The lock is on a
/// sidecar file because [`write_atomic`] replaces the file itself (a lock on the old inode
/// would protect nothing). It only orders vimage processes: `sysrc` and CBSD do not lock.
/// The sidecar is left in place (removing it would race with the next waiter). Busy beyond
/// `timeout` → `TempFail` (75).
pub fn with_file_lock_timeout<T>(path: &Path, timeout: Duration, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = base::open_lock_file(&lock_path)
        .map_err(|e| Error::new(Kind::CantCreate, format!("cannot open lock file {}: {e}", lock_path.display())))?;
    match base::lock(&file, Wait::Upto(timeout)) {
        Ok(()) => {}
        Err(LockError::Busy) => {
            return Err(Error::new(
                Kind::TempFail,
                format!(
                    "{} is being edited by another process (lock {} held for over {} ms); try again",
                    path.display(),
                    lock_path.display(),
                    timeout.as_millis()
                ),
            ));
        }
        Err(LockError::Io(e)) => {
            return Err(Error::new(Kind::Os, format!("cannot lock {}: {e}", lock_path.display())));
        }
    }
    let out = f();
    let _ = file.unlock();
    out
}
