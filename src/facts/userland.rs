//! A jail's userland, decided once per jail: the admin's setting, else the ELF of the jail's
//! `/bin/sh` (as CBSD's jstart decides `is_freebsd` with `elf_tables --osname`), else FreeBSD
//! with a note saying why vimage could not tell.
//!
//! The file is `<jail path>/bin/sh` under `VIMAGE_ROOT`, links followed inside the jail's root
//! ([`crate::paths::resolve_in_root`]): a Debian root's `/bin/sh -> dash` is the jail's dash,
//! never a file of the host's.

use crate::elf::{self, Brand};
use crate::model::Userland;
use crate::paths::{Paths, resolve_in_root};
use std::io::Read;

/// How much of `/bin/sh` is read: the ELF header and its notes come first; 4 MiB also holds
/// the section headers at the end of a shell as big as bash.
const HEAD: u64 = 4 << 20;

/// The userland and how vimage knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserlandFact {
    /// What vimage treats the jail as.
    pub userland: Userland,
    /// Why: `set by the admin`, or the shell and the ELF evidence.
    pub how: String,
    /// vimage could not tell (no `/bin/sh`, not an ELF, another OS) and took FreeBSD.
    pub guessed: bool,
}

impl Default for UserlandFact {
    /// FreeBSD, the userland of every jail vimage was written for.
    fn default() -> UserlandFact {
        UserlandFact { userland: Userland::FreeBsd, how: "FreeBSD by default".into(), guessed: false }
    }
}

impl UserlandFact {
    /// What the plan says about jail `jail`'s userland: nothing for a FreeBSD jail vimage
    /// recognised, a line for a Linux one, and a warning when it had to guess.
    pub fn note(&self, jail: &crate::model::JailName) -> Option<String> {
        match (self.userland, self.guessed) {
            (Userland::FreeBsd, false) => None,
            (Userland::FreeBsd, true) => Some(format!(
                "userland: {}; taking it as FreeBSD (if it is a Linux userland, say so: vimage set jname={jail} userland=linux)",
                self.how
            )),
            (Userland::Linux, _) => Some(format!(
                "userland linux ({}): only host-side commands (ifconfig -j, route -j), interfaces keep the kernel's names, no rc.conf is written",
                self.how
            )),
        }
    }
}

/// The userland of the jail whose root is `jail_path` (as jls reports it). `chosen` is the
/// admin's setting (`vimage set userland=`, `vimage_NAME_userland`), which wins.
pub fn detect(paths: &Paths, jail_path: &str, chosen: Option<Userland>) -> UserlandFact {
    if let Some(u) = chosen {
        return UserlandFact { userland: u, how: "set by the admin".into(), guessed: false };
    }
    let shown = format!("{}/bin/sh", jail_path.trim_end_matches('/'));
    let read = || -> std::io::Result<Vec<u8>> {
        let file = resolve_in_root(&paths.host(jail_path), "/bin/sh")?;
        let mut head = Vec::new();
        std::fs::File::open(file)?.take(HEAD).read_to_end(&mut head)?;
        Ok(head)
    };
    let guess = |why: String| UserlandFact { userland: Userland::FreeBsd, how: why, guessed: true };
    let head = match read() {
        Ok(h) => h,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return guess(format!("there is no {shown}")),
        Err(e) => return guess(format!("cannot read {shown}: {e}")),
    };
    match elf::read(&head) {
        Ok(v) => match v.brand {
            Brand::FreeBsd { .. } => {
                UserlandFact { userland: Userland::FreeBsd, how: format!("{shown}: {}", v.evidence), guessed: false }
            }
            Brand::Linux => {
                UserlandFact { userland: Userland::Linux, how: format!("{shown}: {}", v.evidence), guessed: false }
            }
            Brand::Other(what) => guess(format!("{shown} is built for neither FreeBSD nor Linux ({what})")),
        },
        Err(e) => guess(format!("{shown}: {e}")),
    }
}

/// A jail's userland as `status` reports it: the admin's setting (`vimage set`, then
/// `vimage_NAME_userland`), else its `/bin/sh`. A setting that cannot be read counts as none.
pub fn of_jail(paths: &Paths, stored: Option<Userland>, jail: &crate::model::JailName, path: &str) -> UserlandFact {
    let chosen = stored.or_else(|| crate::rcd::userland_of(paths, jail).ok().flatten());
    detect(paths, path, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web1() -> crate::model::JailName {
        crate::model::JailName::parse("web1").unwrap()
    }

    fn root_with(sh: Option<&[u8]>) -> (tempfile::TempDir, Paths) {
        let t = tempfile::tempdir().unwrap();
        let jail = t.path().join("usr/jails/jails/web1");
        std::fs::create_dir_all(jail.join("bin")).unwrap();
        std::fs::create_dir_all(jail.join("usr/bin")).unwrap();
        if let Some(b) = sh {
            std::fs::write(jail.join("usr/bin/dash"), b).unwrap();
            std::os::unix::fs::symlink("/usr/bin/dash", jail.join("bin/sh")).unwrap();
        }
        let p = Paths::rooted(t.path());
        (t, p)
    }

    #[test]
    fn a_linux_sh_behind_an_absolute_link_is_read_inside_the_jail() {
        let (_t, p) = root_with(Some(&elf::sample::linux()));
        let f = detect(&p, "/usr/jails/jails/web1", None);
        assert_eq!(f.userland, Userland::Linux);
        assert_eq!(f.how, "/usr/jails/jails/web1/bin/sh: GNU ABI note (Linux 3.2.0)");
        assert!(f.note(&web1()).unwrap().contains("userland linux"));
    }

    #[test]
    fn freebsd_is_quiet_and_the_admins_setting_wins() {
        let (_t, p) = root_with(Some(&elf::sample::freebsd()));
        let f = detect(&p, "/usr/jails/jails/web1/", None);
        assert_eq!((f.userland, f.guessed, f.note(&web1())), (Userland::FreeBsd, false, None));
        let f = detect(&p, "/usr/jails/jails/web1", Some(Userland::Linux));
        assert_eq!((f.userland, f.how.as_str()), (Userland::Linux, "set by the admin"));
    }

    #[test]
    fn missing_unreadable_or_foreign_shells_are_freebsd_with_a_note() {
        let (_t, p) = root_with(None);
        let f = detect(&p, "/usr/jails/jails/web1", None);
        assert!(f.guessed && f.userland == Userland::FreeBsd);
        let n = f.note(&web1()).unwrap();
        assert!(
            n.contains("there is no /usr/jails/jails/web1/bin/sh") && n.contains("jname=web1 userland=linux"),
            "{n}"
        );
        let (_t, p) = root_with(Some(b"#!/bin/busybox\n"));
        assert!(detect(&p, "/usr/jails/jails/web1", None).how.contains("no \\x7fELF magic"));
        let (_t, p) = root_with(Some(&elf::sample::bare(2)));
        let f = detect(&p, "/usr/jails/jails/web1", None);
        assert!(f.guessed && f.how.contains("NetBSD"), "{f:?}");
    }
}
