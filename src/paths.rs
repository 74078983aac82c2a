//! Where vimage reads and writes on the host (DESIGN §3: `workdir`, `VIMAGE_ROOT`).
//!
//! Every host path goes through here, so tests can point the whole tool at a temporary
//! directory with `VIMAGE_ROOT` and never touch the machine's own `/etc` or `/var`.

use std::path::{Path, PathBuf};

/// The file-system locations of one vimage invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `VIMAGE_ROOT`, default `/`: prefix for host paths.
    pub root: PathBuf,
    /// CBSD's workdir when vimage runs as a CBSD module (env `workdir`), used as given.
    pub workdir: Option<PathBuf>,
}

impl Paths {
    /// Reads `VIMAGE_ROOT` and `workdir` from the environment.
    pub fn from_env() -> Paths {
        Paths::from_env_with(&|k| std::env::var_os(k))
    }

    /// [`Paths::from_env`] with the environment given (the in-process entry point and its
    /// fuzz target pass their own).
    pub fn from_env_with(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Paths {
        let root =
            env("VIMAGE_ROOT").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/"));
        let workdir = env("workdir").filter(|v| !v.is_empty()).map(PathBuf::from);
        Paths { root, workdir }
    }

    /// Paths under `root` with no CBSD (tests, standalone use).
    pub fn rooted(root: impl Into<PathBuf>) -> Paths {
        Paths { root: root.into(), workdir: None }
    }

    /// `path` (absolute, as on the host) re-rooted under `VIMAGE_ROOT`.
    pub fn host(&self, path: &str) -> PathBuf {
        self.root.join(Path::new(path.trim_start_matches('/')))
    }

    /// vimage's own database: next to CBSD's when CBSD is present, else under /var/db/vimage.
    pub fn state_db(&self) -> PathBuf {
        match &self.workdir {
            Some(w) => w.join("var/db/vimage.sqlite"),
            None => self.host("/var/db/vimage/vimage.sqlite"),
        }
    }

    /// The host-wide lock that serialises kernel changes between vimage processes.
    pub fn lock_file(&self) -> PathBuf {
        self.host("/var/run/vimage.lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_are_rerooted_and_state_follows_cbsd() {
        let p = Paths::rooted("/tmp/r");
        assert_eq!(p.host("/etc/devfs.rules"), PathBuf::from("/tmp/r/etc/devfs.rules"));
        assert_eq!(p.state_db(), PathBuf::from("/tmp/r/var/db/vimage/vimage.sqlite"));
        assert_eq!(Paths::rooted("/").lock_file(), PathBuf::from("/var/run/vimage.lock"));
        let c = Paths { root: "/".into(), workdir: Some("/usr/jails".into()) };
        assert_eq!(c.state_db(), PathBuf::from("/usr/jails/var/db/vimage.sqlite"));
    }
}
