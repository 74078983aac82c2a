//! Making a CBSD jail a vimage jail (`vimage set jname=X enable=1`), and undoing it.
//!
//! CBSD 14.x's order of events (reference/cbsd.md §1.6, §5.1, §5.2) leaves two places where
//! vimage can act at the right moment:
//! - **start**: jail(8)'s `exec.poststart`, which CBSD fills from the jail's `exec_poststart`
//!   column (tools/makejconf). For a vnet jail CBSD empties `exec.start`, so `exec.poststart`
//!   runs on the host right after `jail -c`: the jail exists, CBSD has not yet moved its
//!   epairs in, and `/etc/rc` has not run. `vimage bridge` there takes CBSD's epairs over
//!   (see `plan::bridge`), so rc.conf's `ifconfig_eth0` and DHCP find a ready `eth0`.
//! - **stop**: the `master_prestop.d` hook directory, run on the host before `jail -r`:
//!   `vimage unbridge` destroys the interfaces from the host side while the jail exists.
//!
//! The column is written with `cbsd jset` (CBSD's own command); the hook and the `jconfig`
//! sub-command are files in the jail's `jails-system` directory. Both are recognised as
//! vimage's before they are replaced or removed.

use super::workdir::Workdir;
use crate::error::{Error, Kind, Result};
use crate::exec::run_cmd;
use crate::host::{Cmd, Host, Program};
use crate::model::JailName;
use crate::shvars::write_atomic;
use std::path::{Path, PathBuf};

/// The hook CBSD runs before `jail -r` (share/cbsd/system-skel/master_prestop.d/vimage.sh).
pub const PRESTOP_HOOK: &str = include_str!("../../share/cbsd/system-skel/master_prestop.d/vimage.sh");
/// The `cbsd jconfig jname=X vimage` sub-command (share/cbsd/system-skel/bin/vimage).
pub const JCONFIG_BIN: &str = include_str!("../../share/cbsd/system-skel/bin/vimage");
/// Words every file vimage installs contains, so it can tell its own from an admin's.
const OURS: &str = "vimage(8)";

/// The `exec.poststart` command of a vimage jail. The jail name is validated (no shell
/// metacharacters), and jail(8) runs the column's text with /bin/sh -c.
pub fn poststart_command(jail: &JailName) -> String {
    format!("/usr/local/bin/vimage bridge -q jname={jail}")
}

/// Where the two files go for `jail`.
pub fn hook_paths(wd: &Workdir, jail: &JailName) -> (PathBuf, PathBuf) {
    (wd.jail_hook_dir(jail, "master_prestop").join("vimage.sh"), wd.jail_sysdir(jail).join("bin").join("vimage"))
}

fn install(path: &Path, text: &str, mode: u32, jail: &JailName) -> Result<bool> {
    match std::fs::read_to_string(path) {
        Ok(cur) if cur == text => return Ok(false),
        Ok(cur) if !cur.contains(OURS) => {
            return Err(Error::jail(
                Kind::Data,
                jail,
                format!("{} exists and is not vimage's; move it aside to enable vimage", path.display()),
            ));
        }
        _ => {}
    }
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| Error::jail(Kind::CantCreate, jail, format!("cannot create {}: {e}", d.display())))?;
    }
    write_atomic(path, text.as_bytes()).map_err(|e| e.in_jail(jail))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::jail(Kind::CantCreate, jail, format!("cannot chmod {}: {e}", path.display())))?;
    Ok(true)
}

fn remove_if_ours(path: &Path) -> bool {
    match std::fs::read_to_string(path) {
        Ok(cur) if cur.contains(OURS) => std::fs::remove_file(path).is_ok(),
        _ => false,
    }
}

fn jset(host: &mut dyn Host, jail: &JailName, key: &str, value: &str) -> Result<()> {
    let cmd = Cmd::new(Program::Cbsd, ["jset".to_string(), format!("jname={jail}"), format!("{key}={value}")]);
    let out = run_cmd(host, &cmd);
    if out.ok() {
        Ok(())
    } else {
        Err(Error::jail(Kind::Os, jail, format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim())))
    }
}

/// What enabling changed, for the admin.
#[derive(Debug, Default)]
pub struct Changes {
    /// One line per change (hook installed, `exec_poststart` set), printed so the admin sees what
    /// enabling did to CBSD.
    pub notes: Vec<String>,
    /// The jail's `exec_poststart` before vimage changed it (to restore on disable).
    pub saved_poststart: Option<String>,
}

/// Installs the hook and jconfig sub-command, and points `exec_poststart` at vimage (keeping
/// a previous command after vimage's). `current_poststart` is the column's value now.
pub fn enable(host: &mut dyn Host, wd: &Workdir, jail: &JailName, current_poststart: Option<&str>) -> Result<Changes> {
    let mut ch = Changes::default();
    let (hook, bin) = hook_paths(wd, jail);
    if install(&hook, PRESTOP_HOOK, 0o755, jail)? {
        ch.notes.push(format!("installed {}", hook.display()));
    }
    if install(&bin, JCONFIG_BIN, 0o644, jail)? {
        ch.notes.push(format!("installed {} (cbsd jconfig jname={jail} vimage key=value ...)", bin.display()));
    }
    let ours = poststart_command(jail);
    let cur = current_poststart.filter(|v| !v.is_empty() && *v != "0");
    if !cur.is_some_and(|c| c.contains(&ours)) {
        let new = match cur {
            Some(c) => format!("{ours}; {c}"),
            None => ours.clone(),
        };
        jset(host, jail, "exec_poststart", &new)?;
        ch.saved_poststart = Some(cur.unwrap_or("0").to_string());
        ch.notes.push(format!("exec_poststart=\"{new}\" (cbsd jset)"));
    }
    Ok(ch)
}

/// Removes what [`enable`] installed and restores `exec_poststart` to `saved` (or `0`).
pub fn disable(
    host: &mut dyn Host,
    wd: &Workdir,
    jail: &JailName,
    current_poststart: Option<&str>,
    saved: Option<&str>,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let (hook, bin) = hook_paths(wd, jail);
    for p in [hook, bin] {
        if remove_if_ours(&p) {
            notes.push(format!("removed {}", p.display()));
        }
    }
    let ours = poststart_command(jail);
    if current_poststart.is_some_and(|c| c.contains(&ours)) {
        let restore = saved.unwrap_or("0");
        jset(host, jail, "exec_poststart", restore)?;
        notes.push(format!("exec_poststart=\"{restore}\" (cbsd jset)"));
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_files_are_recognisable_and_valid_sh() {
        assert!(PRESTOP_HOOK.contains(OURS) && JCONFIG_BIN.contains(OURS));
        assert!(PRESTOP_HOOK.starts_with("#!/bin/sh\n"));
        assert!(JCONFIG_BIN.contains("myconf()"));
        let j = JailName::parse("web1").unwrap();
        assert_eq!(poststart_command(&j), "/usr/local/bin/vimage bridge -q jname=web1");
    }

    #[test]
    fn an_admins_file_in_the_way_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vimage.sh");
        std::fs::write(&p, "#!/bin/sh\necho mine\n").unwrap();
        let j = JailName::parse("web1").unwrap();
        assert_eq!(install(&p, PRESTOP_HOOK, 0o755, &j).unwrap_err().exit_code(), 65);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "#!/bin/sh\necho mine\n");
        assert!(!remove_if_ours(&p));
        std::fs::remove_file(&p).unwrap();
        assert!(install(&p, PRESTOP_HOOK, 0o755, &j).unwrap());
        assert!(!install(&p, PRESTOP_HOOK, 0o755, &j).unwrap(), "second install changes nothing");
        assert!(remove_if_ours(&p));
    }
}
