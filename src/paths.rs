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

/// symlink(7)'s limit on links followed in one lookup (`MAXSYMLINKS`, sys/sys/param.h).
const MAXSYMLINKS: u32 = 32;

/// The file that `inside` (an absolute path as a process in the jail sees it) names, under
/// the jail's root directory `root` on this host: each symbolic link on the way is followed
/// as the jail would follow it, relative to `root` (an absolute target starts again at the
/// jail's root, `..` never climbs above it), so a jail's `/bin/sh -> /usr/bin/dash` or
/// `../usr/bin/dash` is read from the jail and never from the host. Components that do not
/// exist are kept as they are (opening the result then fails with `NotFound`); more than
/// [`MAXSYMLINKS`] links is `ELOOP`'s "too many levels of symbolic links".
pub fn resolve_in_root(root: &Path, inside: &str) -> std::io::Result<PathBuf> {
    use std::collections::VecDeque;
    use std::ffi::OsString;
    use std::path::Component;
    let mut pending: VecDeque<OsString> = Path::new(inside)
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    let mut done: Vec<OsString> = Vec::new();
    let mut links = 0;
    while let Some(c) = pending.pop_front() {
        if c == ".." {
            done.pop();
            continue;
        }
        let here: PathBuf = done.iter().fold(root.to_path_buf(), |p, d| p.join(d)).join(&c);
        match std::fs::symlink_metadata(&here) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > MAXSYMLINKS {
                    return Err(std::io::Error::other(format!(
                        "{}: too many levels of symbolic links",
                        here.display()
                    )));
                }
                let target = std::fs::read_link(&here)?;
                if target.is_absolute() {
                    done.clear();
                }
                for t in target.components().rev() {
                    match t {
                        Component::Normal(n) => pending.push_front(n.to_os_string()),
                        Component::ParentDir => pending.push_front(OsString::from("..")),
                        _ => {}
                    }
                }
            }
            _ => done.push(c),
        }
    }
    Ok(done.iter().fold(root.to_path_buf(), |p, d| p.join(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_followed_inside_the_jail_root_and_never_out_of_it() {
        use std::os::unix::fs::symlink;
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("jail");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        std::fs::write(root.join("usr/bin/dash"), b"dash").unwrap();
        // A decoy outside the jail with the same name the absolute link names.
        std::fs::create_dir_all(t.path().join("usr/bin")).unwrap();
        std::fs::write(t.path().join("usr/bin/dash"), b"host").unwrap();
        symlink("/usr/bin/dash", root.join("bin/sh")).unwrap();
        let p = resolve_in_root(&root, "/bin/sh").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"dash");
        // Relative, with `..` past the jail's root: clamped at the root as the kernel does.
        std::fs::remove_file(root.join("bin/sh")).unwrap();
        symlink("../../../../usr/bin/dash", root.join("bin/sh")).unwrap();
        assert_eq!(std::fs::read(resolve_in_root(&root, "/bin/sh").unwrap()).unwrap(), b"dash");
        // Through a linked directory (merged /usr: /bin -> usr/bin).
        std::fs::remove_file(root.join("bin/sh")).unwrap();
        std::fs::remove_dir(root.join("bin")).unwrap();
        std::fs::write(root.join("usr/bin/sh"), b"sh").unwrap();
        symlink("usr/bin", root.join("bin")).unwrap();
        assert_eq!(std::fs::read(resolve_in_root(&root, "/bin/sh").unwrap()).unwrap(), b"sh");
        // A loop is an error, not a hang.
        symlink("loop", root.join("loop")).unwrap();
        assert!(resolve_in_root(&root, "/loop").unwrap_err().to_string().contains("too many levels"));
        // A missing file resolves to a path that does not exist.
        assert!(!resolve_in_root(&root, "/nosuch/sh").unwrap().exists());
    }

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
