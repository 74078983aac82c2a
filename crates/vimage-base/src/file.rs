//! Replacing a file atomically, and waiting for a lock: the one implementation of each that
//! vimage's host files (`/etc/devfs.rules`, rc.conf, jconf), its host lock and the simulator's
//! own files (its state file, the files its `sysrc` writes) all use.
//!
//! A crash or a full disk in the middle of a plain rewrite would leave a file truncated, and
//! the next boot would run with half a configuration. With rename(2) a reader sees either the
//! old file or the new one, never a mix. Locks are flock(2), so they go with the process that
//! held them, even after `kill -9`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Mode of a file that did not exist before.
const NEW_FILE_MODE: u32 = 0o644;

/// How often a waiter tries a busy lock again.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// What to do when the path to replace is a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlink {
    /// Replace the file the link chain ends at, so a linked file stays linked. For files named
    /// by the host itself (`/etc/rc.conf`, a jconf).
    Follow,
    /// Replace the link itself. For files inside a jail's root, where the host must not follow
    /// a link the jail controls (its absolute target means the jail's `/`, not the host's).
    Replace,
}

/// A failed atomic write: what was being done, to which file, and the system's error.
#[derive(Debug)]
pub struct WriteError {
    /// The step that failed, as a phrase after "cannot" ("create a temporary file beside").
    pub doing: &'static str,
    /// The file the step was about (the link's target when following a link).
    pub path: PathBuf,
    /// The error the system returned.
    pub source: std::io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot {} {}: {}", self.doing, self.path.display(), self.source)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Replaces `path` with `contents` atomically: a temporary file beside it (`.NAME.XXXXXX.tmp`),
/// fsync, rename over it, fsync of the directory. The new file keeps the old one's mode, owner
/// and group; a file that did not exist gets mode 0644. `symlink` says whether a link at `path`
/// is followed or replaced.
pub fn write_atomic(path: &Path, contents: &[u8], symlink: Symlink) -> Result<(), WriteError> {
    let target = match symlink {
        Symlink::Follow => resolve_symlink(path)?,
        Symlink::Replace => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let cant = |doing: &'static str, source: std::io::Error| WriteError { doing, path: target.clone(), source };
    let old = match fs::symlink_metadata(&target) {
        Ok(m) if !m.file_type().is_symlink() => Some(m),
        Ok(_) => None,
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
fn resolve_symlink(path: &Path) -> Result<PathBuf, WriteError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(|source| WriteError {
            doing: "follow the symlink",
            path: path.to_path_buf(),
            source,
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// How long [`lock`] waits for a lock another process holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Until it is free (flock(2) blocking).
    Forever,
    /// Up to this long, then [`LockError::Busy`].
    Upto(Duration),
}

/// Why [`lock`] did not take the lock.
#[derive(Debug)]
pub enum LockError {
    /// Another process still held it when the wait ran out.
    Busy,
    /// flock(2) itself failed.
    Io(std::io::Error),
}

/// Opens (creating it if needed, never truncating) a file to lock: a sidecar such as
/// `<file>.lock` or `/var/run/vimage.lock`, readable so a waiter can read what the holder wrote.
pub fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)
}

/// Takes an exclusive flock(2) on `file`, waiting as `wait` says. Released by
/// `File::unlock` or when the file is closed.
pub fn lock(file: &File, wait: Wait) -> Result<(), LockError> {
    let timeout = match wait {
        Wait::Forever => return file.lock().map_err(LockError::Io),
        Wait::Upto(t) => t,
    };
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => std::thread::sleep(LOCK_POLL),
            Err(fs::TryLockError::WouldBlock) => return Err(LockError::Busy),
            Err(fs::TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_followed_or_replaced_as_asked() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        let link = t.path().join("link");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new", Symlink::Follow).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o600, "mode kept");
        write_atomic(&link, b"mine", Symlink::Replace).unwrap();
        assert!(!fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&link).unwrap(), "mine");
        assert_eq!(fs::read_to_string(&real).unwrap(), "new", "the link's target is untouched");
        assert_eq!(fs::metadata(&link).unwrap().permissions().mode() & 0o777, 0o644, "a new file");
        let left: Vec<_> = fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 2, "no temporary file left: {left:?}");
    }

    #[test]
    fn a_missing_directory_names_the_step_and_the_file() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("no/such/file");
        let e = write_atomic(&p, b"x", Symlink::Replace).unwrap_err();
        assert_eq!(e.doing, "create a temporary file beside");
        assert_eq!(e.source.kind(), std::io::ErrorKind::NotFound);
        assert!(e.to_string().starts_with(&format!("cannot create a temporary file beside {}: ", p.display())));
    }

    #[test]
    fn a_held_lock_is_busy_until_released() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.lock");
        let a = open_lock_file(&p).unwrap();
        lock(&a, Wait::Forever).unwrap();
        let b = open_lock_file(&p).unwrap();
        let start = Instant::now();
        assert!(matches!(lock(&b, Wait::Upto(Duration::from_millis(60))), Err(LockError::Busy)));
        assert!(start.elapsed() >= Duration::from_millis(60), "it waited");
        a.unlock().unwrap();
        lock(&b, Wait::Upto(Duration::from_millis(60))).unwrap();
    }
}
