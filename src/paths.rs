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

    /// [`Paths::from_env`] for `--simulate=STATE`: see [`Paths::simulated_env`].
    pub fn from_env_simulated(state: &Path) -> Paths {
        Paths::from_env_with(&Paths::simulated_env(state, |k| std::env::var_os(k)))
    }

    /// The environment a `--simulate=STATE` run sees: `env`, except that without
    /// `VIMAGE_ROOT` the root is [`Paths::simulation_root`] beside the state file, so a
    /// simulated run never writes vimage's database, its lock or any host file under the real
    /// `/`. The binary hands it to `cli::entry`, which reads its paths from it.
    pub fn simulated_env(
        state: &Path,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> impl Fn(&str) -> Option<std::ffi::OsString> {
        let root = Paths::simulation_root(state).into_os_string();
        move |k| match env(k) {
            v if k != "VIMAGE_ROOT" => v,
            Some(v) if !v.is_empty() => Some(v),
            _ => Some(root.clone()),
        }
    }

    /// `STATE.vimage/` beside the simulator's state file `STATE`: the simulated host's `/` for
    /// vimage's own files (`var/db/vimage/`, `var/run/vimage.lock`, `etc/devfs.rules`, jails'
    /// rc.conf).
    pub fn simulation_root(state: &Path) -> PathBuf {
        let mut name = state.as_os_str().to_os_string();
        name.push(".vimage");
        PathBuf::from(name)
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

pub use vimage_base::resolve_in_root;

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

    #[test]
    fn a_simulation_keeps_its_files_beside_the_state_file() {
        let root = Paths::simulation_root(Path::new("/tmp/x/host.json"));
        assert_eq!(root, PathBuf::from("/tmp/x/host.json.vimage"));
        let p = Paths::rooted(root);
        assert_eq!(p.state_db(), PathBuf::from("/tmp/x/host.json.vimage/var/db/vimage/vimage.sqlite"));
        assert_eq!(p.lock_file(), PathBuf::from("/tmp/x/host.json.vimage/var/run/vimage.lock"));
        let env = |k: &str| (k == "workdir").then(|| std::ffi::OsString::from("/usr/jails"));
        let p = Paths::from_env_with(&Paths::simulated_env(Path::new("/tmp/x/host.json"), env));
        assert_eq!(p, Paths { root: "/tmp/x/host.json.vimage".into(), workdir: Some("/usr/jails".into()) });
        let given = |k: &str| (k == "VIMAGE_ROOT").then(|| std::ffi::OsString::from("/srv/root"));
        let p = Paths::from_env_with(&Paths::simulated_env(Path::new("/tmp/x/host.json"), given));
        assert_eq!(p.root, PathBuf::from("/srv/root"), "VIMAGE_ROOT given wins");
    }
}
