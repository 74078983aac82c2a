//! The files the simulated commands read and write (`/etc/rc.conf`, `/etc/devfs.rules`, an
//! `ngctl -f` script).
//!
//! The simulator has no filesystem of its own: the directory named by `FBSD_SIM_ROOT` (else
//! `VIMAGE_ROOT`, so vimage and the commands it runs see the same files) stands for `/`, and a
//! jailed process's `/` is its jail's `path` below that (jail_attach's chroot). Paths are
//! resolved lexically and `..` stops at the process's root, as it does at a chroot. Without a
//! root the machine has no files: reads fail with ENOENT and writes with EROFS.

use crate::Errno;
use crate::kernel::{Ctx, Kernel};
use std::path::{Component, Path, PathBuf};

/// One process's view of the files: the real directory that is its `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Files {
    base: Option<PathBuf>,
}

impl Files {
    /// What process `ctx` sees: the machine's root, or its jail's `path` below it.
    pub(crate) fn of(k: &Kernel, ctx: Ctx) -> Files {
        let base = k.root().map(|root| match ctx.jail.and_then(|jid| k.jail(jid)) {
            Some(j) => join_inside(root, &j.path),
            None => root.to_path_buf(),
        });
        Files { base }
    }

    /// chroot(2) to `dir` as this view names it (`sysrc -R dir`).
    pub(crate) fn chroot(&self, dir: &str) -> Files {
        Files { base: self.base.as_ref().map(|b| join_inside(b, dir)) }
    }

    /// Where `path` lives on the real disk. A relative path is taken from `/` (the simulated
    /// commands run with `/` as their working directory, as jexec and service leave them).
    pub(crate) fn resolve(&self, path: &str) -> Option<PathBuf> {
        self.base.as_ref().map(|b| join_inside(b, path))
    }

    /// `open(2)` + `read(2)`: ENOENT when the file does not exist or there is no root, EISDIR
    /// for a directory.
    pub(crate) fn read(&self, path: &str) -> Result<String, Errno> {
        let p = self.resolve(path).ok_or(Errno::ENOENT)?;
        if p.is_dir() {
            return Err(Errno::EISDIR);
        }
        let bytes = std::fs::read(&p).map_err(|e| io_errno(&e))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// True when `path` exists.
    pub(crate) fn exists(&self, path: &str) -> bool {
        self.resolve(path).is_some_and(|p| p.exists())
    }

    /// The names in directory `path`, sorted (`ls -1`); empty when it is not a directory.
    pub(crate) fn list(&self, path: &str) -> Vec<String> {
        let Some(p) = self.resolve(path) else { return Vec::new() };
        let mut v: Vec<String> = std::fs::read_dir(p)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Replaces a file's contents (a temporary file renamed over it, as sysrc's `mv` does); a
    /// missing parent directory is ENOENT, no root is EROFS.
    pub(crate) fn write(&self, path: &str, text: &str) -> Result<(), Errno> {
        let p = self.resolve(path).ok_or(Errno::EROFS)?;
        match p.parent() {
            Some(d) if d.is_dir() => {}
            _ => return Err(Errno::ENOENT),
        }
        crate::write_atomic(&p, text.as_bytes()).map_err(|e| io_errno(&e))
    }
}

/// `base` + `path` with `.` dropped and `..` never climbing above `base`.
fn join_inside(base: &Path, path: &str) -> PathBuf {
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    let mut p = base.to_path_buf();
    for s in parts {
        p.push(s);
    }
    p
}

fn io_errno(e: &std::io::Error) -> Errno {
    match e.kind() {
        std::io::ErrorKind::NotFound => Errno::ENOENT,
        std::io::ErrorKind::PermissionDenied => Errno::EACCES,
        _ => Errno::EIO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jailed_process_sees_its_jail_path_and_dotdot_stops_at_its_root() {
        let dir = tempfile::tempdir().unwrap();
        let mut k = Kernel::demo();
        k.set_root(Some(dir.path().to_path_buf()));
        let jail = Files::of(&k, k.ctx_in_jail(1).unwrap());
        let host = Files::of(&k, Ctx::HOST);
        let j = jail.resolve("/etc/rc.conf").unwrap();
        assert_eq!(j, dir.path().join("usr/jails/jails/web1/etc/rc.conf"));
        assert_eq!(jail.resolve("/../../../etc/rc.conf").unwrap(), j, "a chroot's .. is its /");
        assert_eq!(host.resolve("etc/rc.conf").unwrap(), dir.path().join("etc/rc.conf"));
        assert_eq!(host.chroot("/usr/jails/jails/web1").resolve("/etc/rc.conf").unwrap(), j);
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        host.write("/etc/rc.conf", "a=1\n").unwrap();
        assert_eq!(host.read("/etc/rc.conf").unwrap(), "a=1\n");
        assert_eq!(jail.read("/etc/rc.conf"), Err(Errno::ENOENT), "the jail's own /etc");
        assert_eq!(host.read("/etc"), Err(Errno::EISDIR));
        assert_eq!(host.list("/etc"), vec!["rc.conf".to_string()]);
    }

    #[test]
    fn without_a_root_there_are_no_files() {
        let k = Kernel::demo();
        let host = Files::of(&k, Ctx::HOST);
        assert_eq!(host.read("/etc/rc.conf"), Err(Errno::ENOENT));
        assert_eq!(host.write("/etc/rc.conf", ""), Err(Errno::EROFS));
    }
}
