//! Where CBSD keeps things, derived from its `workdir`.
//!
//! A program that `cbsd` runs receives only `workdir` in its environment; `dbdir`,
//! `jailsysdir` and the rest are plain shell variables of `cbsd.conf` and are not exported
//! (reference/cbsd.md §1.5). So vimage rebuilds them from `workdir` the way `cbsd.conf` does.

use crate::model::JailName;
use crate::paths::Paths;
use std::path::{Path, PathBuf};

/// A CBSD workdir (e.g. `/usr/jails`) and the layout `cbsd.conf` defines under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workdir {
    root: PathBuf,
}

impl Workdir {
    /// The workdir at `root`, used as given (it is a real path, not re-rooted).
    pub fn new(root: impl Into<PathBuf>) -> Workdir {
        Workdir { root: root.into() }
    }

    /// The workdir named by the environment (`workdir=`), when vimage runs under CBSD.
    pub fn from_paths(paths: &Paths) -> Option<Workdir> {
        paths.workdir.as_ref().map(Workdir::new)
    }

    /// The workdir itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `${dbdir}` = `var/db`: the node database and vimage's own state.
    pub fn dbdir(&self) -> PathBuf {
        self.root.join("var/db")
    }

    /// `${dbdir}/local.sqlite`: tables `jails`, `local`, …; a symlink to `inv.<nodename>.sqlite`.
    pub fn local_db(&self) -> PathBuf {
        self.dbdir().join("local.sqlite")
    }

    /// `${inventory}` = `nc.inventory`: the node facts CBSD scripts source.
    pub fn inventory(&self) -> PathBuf {
        self.root.join("nc.inventory")
    }

    /// `${etcdir}` = `etc`: CBSD and module configuration (`modules.conf`, `*.conf` overrides).
    pub fn etcdir(&self) -> PathBuf {
        self.root.join("etc")
    }

    /// `${jailsysdir}` = `jails-system`: one directory of per-jail state per jail.
    pub fn jailsysdir(&self) -> PathBuf {
        self.root.join("jails-system")
    }

    /// `${jailsysdir}/<jname>`: the jail's database, hooks, jconf copy and locks.
    pub fn jail_sysdir(&self, jail: &JailName) -> PathBuf {
        self.jailsysdir().join(jail.as_str())
    }

    /// `${jailsysdir}/<jname>/local.sqlite`: the jail's `jailnic` table.
    pub fn jail_db(&self, jail: &JailName) -> PathBuf {
        self.jail_sysdir(jail).join("local.sqlite")
    }

    /// `${jailsysdir}/<jname>/rc.conf_<jname>`: the jconf the jail was registered with.
    pub fn jail_rcconf(&self, jail: &JailName) -> PathBuf {
        self.jail_sysdir(jail).join(format!("rc.conf_{jail}"))
    }

    /// `${jailsysdir}/<jname>/etc`: per-jail overrides of module configuration (`readconf`).
    pub fn jail_etcdir(&self, jail: &JailName) -> PathBuf {
        self.jail_sysdir(jail).join("etc")
    }

    /// `${jailsysdir}/<jname>/<hook>.d`, e.g. `master_poststart.d`: where hook scripts live.
    pub fn jail_hook_dir(&self, jail: &JailName, hook: &str) -> PathBuf {
        self.jail_sysdir(jail).join(format!("{hook}.d"))
    }

    /// `${jaildatadir}/<jname>-data`: the jail's root file system when `path` is not mounted.
    pub fn jail_data(&self, jail: &JailName) -> PathBuf {
        self.root.join("jails-data").join(format!("{jail}-data"))
    }

    /// `${jaildir}/<jname>`: the jail's mount point (the `path` column's usual value).
    pub fn jail_path(&self, jail: &JailName) -> PathBuf {
        self.root.join("jails").join(jail.as_str())
    }

    /// `${tmpdir}` = `tmp`: leases and locks (`eth<N>.locked`, `get_next_nic.lease`).
    pub fn tmpdir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// `${ftmpdir}` = `ftmp`: generated jail.conf files and get-next-nic's lock.
    pub fn ftmpdir(&self) -> PathBuf {
        self.root.join("ftmp")
    }

    /// `${tmpdir}/eth<N>.locked`: jstart's lock while it renames a NIC to `eth<N>` on the host.
    pub fn eth_lock(&self, n: u32) -> PathBuf {
        self.tmpdir().join(format!("eth{n}.locked"))
    }

    /// `${moduledir}` = `modules`: symlinks to enabled module commands.
    pub fn moduledir(&self) -> PathBuf {
        self.root.join("modules")
    }

    /// `${rundir}` = `var/run`.
    pub fn rundir(&self) -> PathBuf {
        self.root.join("var/run")
    }

    /// `${logdir}` = `var/log`.
    pub fn logdir(&self) -> PathBuf {
        self.root.join("var/log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_cbsd_conf() {
        let w = Workdir::new("/usr/jails");
        let j = JailName::parse("web1").unwrap();
        assert_eq!(w.local_db(), PathBuf::from("/usr/jails/var/db/local.sqlite"));
        assert_eq!(w.inventory(), PathBuf::from("/usr/jails/nc.inventory"));
        assert_eq!(w.etcdir(), PathBuf::from("/usr/jails/etc"));
        assert_eq!(w.jail_db(&j), PathBuf::from("/usr/jails/jails-system/web1/local.sqlite"));
        assert_eq!(w.jail_rcconf(&j), PathBuf::from("/usr/jails/jails-system/web1/rc.conf_web1"));
        assert_eq!(
            w.jail_hook_dir(&j, "master_poststart"),
            PathBuf::from("/usr/jails/jails-system/web1/master_poststart.d")
        );
        assert_eq!(w.jail_data(&j), PathBuf::from("/usr/jails/jails-data/web1-data"));
        assert_eq!(w.eth_lock(2), PathBuf::from("/usr/jails/tmp/eth2.locked"));
        let p = Paths { root: "/".into(), workdir: Some("/w".into()) };
        assert_eq!(Workdir::from_paths(&p).unwrap().root(), Path::new("/w"));
        assert_eq!(Workdir::from_paths(&Paths::rooted("/")), None);
    }
}
