//! What `execvp(3)` finds when a process inside a jail runs a program: the simulator's own
//! FreeBSD programs in a jail with a FreeBSD userland, the jail's files in one with a Linux
//! userland.
//!
//! A jail's files are only known when the simulator was given the host's `/`
//! ([`Kernel::set_root`], `FBSD_SIM_ROOT`, else `VIMAGE_ROOT`): the jail's root is its `path` under it. When its
//! `/bin/sh` (links followed inside the jail root) is a Linux ELF, the jail runs a Linux
//! userland, where FreeBSD's `ifconfig`, `route`, `dhclient`, `sysrc` … do not exist: a
//! program is what the jail's own files have under `PATH`, and anything else fails as
//! execvp fails (ENOENT). Without files, or with a FreeBSD (or unreadable) `/bin/sh`, the
//! simulated FreeBSD userland answers, as before.

use crate::kernel::Kernel;
use std::io::Read;
use std::path::PathBuf;
use vimage_base::elf::{self, Brand};
use vimage_base::resolve_in_root;

/// `_PATH_STDPATH` (paths.h): where `execvp` looks for a name without `/` (jexec keeps the
/// caller's `PATH`; vimage's and the tests' environments have these).
const PATH: &[&str] = &["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];

/// How much of `/bin/sh` is read: the header and the notes are at its start.
const HEAD: u64 = 1 << 20;

/// What a program name means inside a jail.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A FreeBSD userland: the simulated program of that name, if there is one.
    Simulated,
    /// A Linux userland without such a file: execvp fails with ENOENT.
    Missing,
    /// A Linux userland's own program (the file on this machine).
    Linux(PathBuf),
}

/// Looks `cmd` up as execvp in jail `jid` would.
pub(crate) fn lookup(k: &Kernel, jid: u32, cmd: &str) -> Found {
    let Some(root) = linux_root(k, jid) else { return Found::Simulated };
    let candidates: Vec<String> =
        if cmd.contains('/') { vec![cmd.to_string()] } else { PATH.iter().map(|d| format!("{d}/{cmd}")).collect() };
    candidates
        .iter()
        .filter_map(|c| resolve_in_root(&root, c).ok())
        .find(|p| p.is_file())
        .map_or(Found::Missing, Found::Linux)
}

/// The jail's root on this machine, when its `/bin/sh` is a Linux executable.
pub(crate) fn linux_root(k: &Kernel, jid: u32) -> Option<PathBuf> {
    let root = k.root()?.join(k.jail(jid)?.path.trim_start_matches('/'));
    let sh = resolve_in_root(&root, "/bin/sh").ok()?;
    let mut head = Vec::new();
    std::fs::File::open(sh).ok()?.take(HEAD).read_to_end(&mut head).ok()?;
    matches!(elf::read(&head), Ok(v) if v.brand == Brand::Linux).then_some(root)
}

/// True for a program name that is a shell (`/bin/sh`, `sh`, `dash`, `bash`): the simulator
/// runs a Linux userland's shell as its own `sh`, the rest of a Linux userland not at all.
pub(crate) fn is_shell(cmd: &str) -> bool {
    matches!(cmd.rsplit('/').next(), Some("sh" | "dash" | "bash"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Ctx;

    /// web1's root under a temporary host `/`, with `/bin/sh` as given.
    fn host_with(sh: Option<&[u8]>) -> (tempfile::TempDir, Kernel) {
        let t = tempfile::tempdir().unwrap();
        let mut k = Kernel::demo();
        k.set_root(Some(t.path().to_path_buf()));
        let root = t.path().join("usr/jails/jails/web1");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        if let Some(b) = sh {
            std::fs::write(root.join("usr/bin/dash"), b).unwrap();
            std::os::unix::fs::symlink("/usr/bin/dash", root.join("bin/sh")).unwrap();
        }
        (t, k)
    }

    fn jexec(k: &mut Kernel, a: &[&str]) -> vimage_base::Output {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        super::super::run(k, Ctx::HOST, "jexec", &a)
    }

    #[test]
    fn freebsd_programs_do_not_exist_in_a_linux_root_jexec_c_execvp() {
        let (_t, mut k) = host_with(Some(&elf::sample::linux()));
        let o = jexec(&mut k, &["web1", "/sbin/route", "add", "default", "10.0.0.1"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jexec: execvp: /sbin/route: No such file or directory\n"));
        let o = jexec(&mut k, &["1", "dhclient", "lo0"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jexec: execvp: dhclient: No such file or directory\n"));
        assert_eq!(jexec(&mut k, &["web1", "ifconfig"]).code, 1);
        // The jail's own shell runs, and what it runs is looked up in the jail too.
        assert_eq!(jexec(&mut k, &["web1", "/bin/sh", "-c", "exit 3"]).code, 3);
        let o = jexec(&mut k, &["web1", "/bin/sh", "-c", "ifconfig -l"]);
        assert_eq!((o.code, o.stderr.as_str()), (127, "sh: ifconfig: not found\n"));
    }

    #[test]
    fn a_freebsd_root_or_no_files_keep_the_simulated_userland() {
        for sh in [Some(elf::sample::freebsd()), None, Some(b"#!garbage".to_vec())] {
            let (_t, mut k) = host_with(sh.as_deref());
            let o = jexec(&mut k, &["web1", "ifconfig", "-l"]);
            assert_eq!((o.code, o.stdout.as_str()), (0, "lo0\n"), "{sh:?}");
        }
        let mut k = Kernel::demo();
        assert_eq!(jexec(&mut k, &["web1", "ifconfig", "-l"]).stdout, "lo0\n");
    }
}
