//! Replacing a host file safely: write a temp file beside it, fsync, rename over it; and a
//! lock so that two vimage processes do not edit the same file at once.
//!
//! A crash or a full disk in the middle of a plain rewrite would leave `/etc/rc.conf` or
//! `/etc/devfs.rules` truncated, and the next boot would run with half a configuration. With
//! rename(2) a reader sees either the old file or the new one, never a mix.

use crate::error::{Error, Kind, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long [`with_file_lock`] waits for another vimage to finish editing the same file.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Mode of a file that did not exist before.
const NEW_FILE_MODE: u32 = 0o644;

/// Replaces `path` with `contents` atomically. The new file keeps the old one's mode, owner
/// and group (a new file gets mode 0644); a symlink is followed and its target replaced, so
/// a linked rc.conf stays linked. Errors are `CantCreate` (73) and name the file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let target = resolve_symlink(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let cant = |what: &str, e: std::io::Error| {
        Error::new(Kind::CantCreate, format!("cannot {what} {}: {e}", target.display()))
    };
    let old = match fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(cant("inspect", e)),
    };
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| cant("create a temporary file beside", e))?;
    tmp.write_all(contents).map_err(|e| cant("write the new version of", e))?;
    let mode = old.as_ref().map_or(NEW_FILE_MODE, |m| m.permissions().mode() & 0o7777);
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| cant("set the mode of the new version of", e))?;
    if let Some(m) = &old {
        let mine = tmp.as_file().metadata().map_err(|e| cant("inspect the new version of", e))?;
        if mine.uid() != m.uid() || mine.gid() != m.gid() {
            std::os::unix::fs::chown(tmp.path(), Some(m.uid()), Some(m.gid()))
                .map_err(|e| cant("give the new version the old owner of", e))?;
        }
    }
    tmp.as_file().sync_all().map_err(|e| cant("fsync the new version of", e))?;
    tmp.persist(&target).map_err(|e| cant("rename the new version over", e.error))?;
    // The rename itself is durable only once the directory is synced.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The file a symlink chain ends at (the path itself when it is no symlink or absent).
fn resolve_symlink(path: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)
            .map_err(|e| Error::new(Kind::CantCreate, format!("cannot follow the symlink {}: {e}", path.display()))),
        _ => Ok(path.to_path_buf()),
    }
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
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| Error::new(Kind::CantCreate, format!("cannot open lock file {}: {e}", lock_path.display())))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
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
            Err(fs::TryLockError::Error(e)) => {
                return Err(Error::new(Kind::Os, format!("cannot lock {}: {e}", lock_path.display())));
            }
        }
    }
    let out = f();
    let _ = file.unlock();
    out
}
