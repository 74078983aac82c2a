//! Editing host files safely: under a lock, from the file's current contents, replaced
//! atomically (temporary file in the same directory, fsync, rename), keeping its mode.
//!
//! Used for `/etc/devfs.rules` and a jail's rc.conf. The host lock already serialises vimage
//! processes; the edit lock (`/var/run/vimage.edit.lock`) also covers a future caller that
//! edits without the host lock. Other programs (an admin's editor, sysrc) take no lock, which
//! is why every edit starts from the file as it is at that moment and a rename makes the
//! switch atomic: a reader sees the old file or the new one, never half of each.

use crate::devfs::rules::RulesFile;
use crate::devfs::section_rules;
use crate::error::{Error, Kind, Result};
use crate::paths::Paths;
use crate::plan::FileEdit;
use crate::shvars::RcConf;
use std::path::Path;
use vimage_base::file::{LockError, Symlink, Wait};

/// Replaces `path` with `data` atomically (`vimage_base::file::write_atomic`: temporary file
/// beside it, fsync, rename, fsync of the directory; mode and owner kept, 0644 for a new
/// file). A symlink at `path` is replaced, not followed: a jail's rc.conf lives in a root the
/// jail controls, and its link's target means the jail's `/`, not the host's.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    vimage_base::file::write_atomic(path, data, Symlink::Replace).map_err(|e| e.source)
}

/// Runs `f` holding the edit lock.
pub fn with_edit_lock<T>(paths: &Paths, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let p = paths.host("/var/run/vimage.edit.lock");
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| Error::new(Kind::CantCreate, format!("cannot create {}: {e}", d.display())))?;
    }
    let file = vimage_base::file::open_lock_file(&p)
        .map_err(|e| Error::new(Kind::CantCreate, format!("cannot open {}: {e}", p.display())))?;
    vimage_base::file::lock(&file, Wait::Forever).map_err(|e| {
        let e = match e {
            LockError::Io(e) => e,
            LockError::Busy => std::io::ErrorKind::WouldBlock.into(),
        };
        Error::new(Kind::Os, format!("cannot lock {}: {e}", p.display()))
    })?;
    let r = f();
    let _ = file.unlock();
    r
}

fn cant(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(Kind::CantCreate, format!("cannot write {}: {e}", path.display()))
}

/// Checks, before a setup changes the kernel, that a planned edit can be made: the file is
/// text vimage can read, and its directory exists and takes a new file (the temporary file
/// the edit is renamed from). A setup whose file step would fail is refused here rather than
/// left half-done; the edit itself still starts from the file as it is when it runs.
pub fn preflight(paths: &Paths, edit: &FileEdit) -> Result<()> {
    let path = match edit {
        FileEdit::DevfsRules { .. } => paths.host(crate::facts::devfs::RULES_PATH),
        FileEdit::RcConf { path, .. } | FileEdit::Resolv { path, .. } => path.clone(),
    };
    crate::facts::devfs::read_file(&path)?;
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else { return Ok(()) };
    if !dir.is_dir() {
        if matches!(edit, FileEdit::DevfsRules { .. }) && !dir.exists() {
            // /etc under a fresh VIMAGE_ROOT: the edit creates it.
            return Ok(());
        }
        return Err(cant(&path, "its directory does not exist (is the jail's path right? rcconf= names the file)")
            .detail("nothing was changed"));
    }
    tempfile::Builder::new().prefix(".vimage.").tempfile_in(dir).map(drop).map_err(|e| {
        cant(&path, format!("cannot create a file in {}: {e}", dir.display())).detail("nothing was changed")
    })
}

/// Makes one planned edit against the file as it is now. Returns whether the file changed.
pub fn apply(paths: &Paths, edit: &FileEdit) -> Result<bool> {
    with_edit_lock(paths, || match edit {
        FileEdit::DevfsRules { set } => {
            let path = paths.host(crate::facts::devfs::RULES_PATH);
            let old = crate::facts::devfs::read_file(&path)?;
            if old.is_none() && set.is_none() {
                return Ok(false);
            }
            let mut f = RulesFile::parse(old.as_deref().unwrap_or(""));
            let changed = match set {
                Some(n) => f.set_ours(*n, &section_rules()),
                None => f.remove_ours(),
            };
            if changed {
                if let Some(d) = path.parent() {
                    std::fs::create_dir_all(d).map_err(|e| cant(&path, e))?;
                }
                write_atomic(&path, f.render().as_bytes()).map_err(|e| cant(&path, e))?;
            }
            Ok(changed)
        }
        FileEdit::Resolv { path, lines, .. } => {
            if !path.parent().is_some_and(|d| d.is_dir()) {
                return Err(cant(path, "its directory does not exist (is the jail's path right?)"));
            }
            let old = crate::facts::devfs::read_file(path)?;
            let text = old.as_deref().unwrap_or("");
            if lines.is_empty() || !crate::facts::privnet::nameserver_lines(text).is_empty() {
                return Ok(false);
            }
            let mut new = text.to_string();
            if !new.is_empty() && !new.ends_with('\n') {
                new.push('\n');
            }
            for l in lines {
                new.push_str(l);
                new.push('\n');
            }
            write_atomic(path, new.as_bytes()).map_err(|e| cant(path, e))?;
            Ok(true)
        }
        FileEdit::RcConf { path, set, remove, .. } => {
            if !path.parent().is_some_and(|d| d.is_dir()) {
                return Err(cant(
                    path,
                    "its directory does not exist (is the jail's path right? rcconf= names the file)",
                ));
            }
            let old = crate::facts::devfs::read_file(path)?;
            let mut rc = RcConf::parse(old.as_deref().unwrap_or(""));
            let mut changed = false;
            for k in remove {
                changed |= rc.remove(k);
            }
            for (k, v) in set {
                changed |= rc.set(k, v);
            }
            if changed {
                write_atomic(path, rc.render().as_bytes()).map_err(|e| cant(path, e))?;
            }
            Ok(changed)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_other_lines_and_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::rooted(dir.path());
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let rules = dir.path().join("etc/devfs.rules");
        std::fs::write(&rules, "[mine=7]\nadd hide\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&rules, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(apply(&paths, &FileEdit::DevfsRules { set: Some(50) }).unwrap());
        let text = std::fs::read_to_string(&rules).unwrap();
        assert!(text.starts_with("[mine=7]\nadd hide\n[vimage_vnet_bpf=50]\n"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&rules).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(!apply(&paths, &FileEdit::DevfsRules { set: Some(50) }).unwrap(), "no change the second time");
        assert!(apply(&paths, &FileEdit::DevfsRules { set: None }).unwrap());
        assert_eq!(std::fs::read_to_string(&rules).unwrap(), "[mine=7]\nadd hide\n");
        let rc = dir.path().join("etc/rc.conf");
        let e = FileEdit::RcConf {
            path: rc.clone(),
            shown: "/etc/rc.conf".into(),
            set: vec![("ifconfig_eth0".into(), "DHCP".into())],
            remove: vec!["ifconfig_eth0_ipv6".into()],
        };
        std::fs::write(&rc, "# mine\nifconfig_eth0_ipv6=\"inet6 -ifdisabled\"\nsshd_enable=YES\n").unwrap();
        assert!(apply(&paths, &e).unwrap());
        assert_eq!(std::fs::read_to_string(&rc).unwrap(), "# mine\nsshd_enable=YES\nifconfig_eth0=\"DHCP\"\n");
        let bad = FileEdit::RcConf {
            path: dir.path().join("no/such/rc.conf"),
            shown: "x".into(),
            set: vec![],
            remove: vec![],
        };
        assert_eq!(apply(&paths, &bad).unwrap_err().kind, Kind::CantCreate);
        assert_eq!(preflight(&paths, &bad).unwrap_err().kind, Kind::CantCreate, "refused before any change");
    }

    #[test]
    fn preflight_names_the_first_byte_that_is_not_text() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::rooted(dir.path());
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let edit = FileEdit::DevfsRules { set: Some(50) };
        assert!(preflight(&paths, &edit).is_ok(), "no file yet: the edit creates it");
        std::fs::write(dir.path().join("etc/devfs.rules"), b"[a=7]\n# \xe9t\xe9\n").unwrap();
        let e = preflight(&paths, &edit).unwrap_err();
        assert_eq!(e.kind, Kind::Data);
        assert!(e.message.contains("byte 9 (line 2)") && e.message.contains("0xe9"), "{e}");
        assert!(apply(&paths, &edit).is_err(), "and the edit itself refuses it too");
    }
}
