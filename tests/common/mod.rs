//! Harness for end-to-end tests: the real `vimage` binary, with `VIMAGE_CMD_DIR` pointing at
//! links to `fbsd-sim`, whose kernel state lives in a JSON file the test reads afterwards.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vimage::host::Program;
use vimage::sim::{Kernel, Sim};

/// A simulated FreeBSD host on disk plus a VIMAGE_ROOT, in a temporary directory.
pub struct World {
    pub dir: tempfile::TempDir,
    pub cmd_dir: PathBuf,
    pub state: PathBuf,
    pub root: PathBuf,
    pub log: PathBuf,
}

impl World {
    /// A world whose simulated kernel is `k`.
    pub fn new(k: Kernel) -> World {
        let dir = tempfile::tempdir().unwrap();
        let cmd_dir = dir.path().join("bin");
        std::fs::create_dir_all(&cmd_dir).unwrap();
        let sim = env!("CARGO_BIN_EXE_fbsd-sim");
        for p in Program::ALL {
            std::os::unix::fs::symlink(sim, cmd_dir.join(p.name())).unwrap();
        }
        let state = dir.path().join("sim.json");
        Sim::new(k).save(&state).unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        let log = dir.path().join("sim.log");
        World { dir, cmd_dir, state, root, log }
    }

    /// The demo host: em0 with the default route, running vnet jail web1.
    pub fn demo() -> World {
        World::new(Kernel::demo())
    }

    /// Runs `vimage <args>` against this world.
    pub fn vimage(&self, args: &[&str]) -> Output {
        self.vimage_env(args, &[])
    }

    /// Runs `vimage <args>` with extra environment.
    pub fn vimage_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vimage"));
        c.args(args)
            .env("VIMAGE_CMD_DIR", &self.cmd_dir)
            .env("FBSD_SIM_STATE", &self.state)
            .env("FBSD_SIM_LOG", &self.log)
            .env("VIMAGE_ROOT", &self.root)
            .env_remove("workdir")
            .env_remove("RUST_LOG");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// The simulated kernel as it is now.
    pub fn kernel(&self) -> Kernel {
        Sim::load(&self.state).unwrap().kernel
    }

    /// Changes the simulated kernel (add a jail, inject a fault).
    pub fn edit(&self, f: impl FnOnce(&mut Kernel)) {
        let mut s = Sim::load(&self.state).unwrap();
        f(&mut s.kernel);
        s.save(&self.state).unwrap();
    }

    /// Commands fbsd-sim ran so far (one per line), and forget them.
    pub fn take_log(&self) -> Vec<String> {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.log);
        s.lines().map(|l| l.replace('\t', " ")).collect()
    }

    /// vimage's state database under VIMAGE_ROOT.
    pub fn state_db(&self) -> PathBuf {
        self.root.join("var/db/vimage/vimage.sqlite")
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A jail's root under VIMAGE_ROOT with an `etc/rc.conf` holding `rc` (the jail's own
    /// lines, which vimage must keep); returns the rc.conf's path.
    pub fn jail_rc(&self, jail_path: &str, rc: &str) -> PathBuf {
        let etc = self.root.join(jail_path.trim_start_matches('/')).join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        let p = etc.join("rc.conf");
        std::fs::write(&p, rc).unwrap();
        p
    }

    /// A host file under VIMAGE_ROOT (`/etc/devfs.rules`), or "" when it does not exist.
    pub fn host_file(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path.trim_start_matches('/'))).unwrap_or_default()
    }

    /// Writes a host file under VIMAGE_ROOT.
    pub fn put_host_file(&self, path: &str, text: &str) {
        let p = self.root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code (panics on a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("killed by a signal")
}
