//! Harness for end-to-end tests: the real `vimage` binary, with `VIMAGE_CMD_DIR` pointing at
//! links to `fbsd-sim`, whose kernel state lives in a JSON file the test reads afterwards.
#![allow(dead_code)]

pub mod bench;
pub mod cbsd;
pub mod mistakes;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use vimage::host::Program;
use vimage::sim::{Kernel, Sim};

/// A built binary: Cargo's path when compiled as an integration test, else the path in the
/// environment variable `var` (the campaign in examples/ runs with `VIMAGE_BIN`, `FBSD_SIM_BIN`).
fn binary(built: Option<&'static str>, var: &str) -> PathBuf {
    built.map(PathBuf::from).or_else(|| std::env::var_os(var).map(PathBuf::from)).unwrap_or_else(|| panic!("set {var}"))
}

/// The `vimage` binary under test.
pub fn vimage_bin() -> PathBuf {
    binary(option_env!("CARGO_BIN_EXE_vimage"), "VIMAGE_BIN")
}

/// The `fbsd-sim` binary.
pub fn sim_bin() -> PathBuf {
    binary(option_env!("CARGO_BIN_EXE_fbsd-sim"), "FBSD_SIM_BIN")
}

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
        let sim = sim_bin();
        for p in Program::ALL {
            std::os::unix::fs::symlink(&sim, cmd_dir.join(p.name())).unwrap();
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

    /// `vimage <args>` against this world, not yet run (a test sets stdio or argv bytes).
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Command {
        let mut c = Command::new(vimage_bin());
        c.args(args);
        self.with_world_env(c)
    }

    /// `c` with this world's environment: what [`World::command`] runs vimage with, for a test
    /// that runs vimage through another program (unshare, the stand-in cbsd).
    pub fn with_world_env(&self, mut c: Command) -> Command {
        c.env("VIMAGE_CMD_DIR", &self.cmd_dir)
            .env("FBSD_SIM_STATE", &self.state)
            .env("FBSD_SIM_LOG", &self.log)
            .env("FBSD_SIM_ROOT", &self.root)
            .env("VIMAGE_ROOT", &self.root)
            .env_remove("workdir")
            .env_remove("RUST_LOG");
        c
    }

    /// Runs `vimage <args>` with extra environment (applied after the world's, so it wins).
    pub fn vimage_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// Starts `vimage <args>` without waiting; every simulated command takes `delay_ms`, so a
    /// test can signal or kill it in the middle of a run.
    pub fn spawn(&self, args: &[&str], delay_ms: u64) -> Child {
        Command::new(vimage_bin())
            .args(args)
            .env("VIMAGE_CMD_DIR", &self.cmd_dir)
            .env("FBSD_SIM_STATE", &self.state)
            .env("FBSD_SIM_LOG", &self.log)
            .env("FBSD_SIM_DELAY_MS", delay_ms.to_string())
            .env("FBSD_SIM_ROOT", &self.root)
            .env("VIMAGE_ROOT", &self.root)
            .env_remove("workdir")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Waits (up to 30 s) until the simulator has logged a command starting with `prefix`.
    pub fn wait_for_log(&self, prefix: &str) {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(30) {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.lines().any(|l| l.replace('\t', " ").starts_with(prefix)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("{prefix} never ran");
    }

    /// The simulated kernel as it is now.
    pub fn kernel(&self) -> Kernel {
        Sim::load(&self.state).unwrap().kernel
    }

    /// Runs one simulated FreeBSD command (`ngctl msg em0: setautosrc 1`, `jexec web1 ping -c 1
    /// 192.168.1.1`) against this world's host, the way an admin at its shell would: through
    /// `fbsd-sim`, not logged (so [`World::take_log`] still shows only what vimage ran).
    pub fn sim(&self, prog: &str, args: &[&str]) -> Output {
        Command::new(sim_bin())
            .arg(prog)
            .args(args)
            .env("FBSD_SIM_STATE", &self.state)
            .env("FBSD_SIM_ROOT", &self.root)
            .output()
            .unwrap()
    }

    /// True when `ping -c 1 -t 1 ADDR`, run in jail `jail` (on the host for `""`), gets an
    /// echo reply: the simulated data plane has a path there and back (fbsd-sim's `ping`,
    /// a graph walk over epair, if_bridge, vlan and netgraph; MTU and pf ignored).
    pub fn pings(&self, jail: &str, addr: &str) -> bool {
        let o = if jail.is_empty() {
            self.sim("ping", &["-c", "1", "-t", "1", addr])
        } else {
            self.sim("jexec", &[jail, "ping", "-c", "1", "-t", "1", addr])
        };
        match o.status.code() {
            Some(0) => true,
            Some(2) => false,
            c => panic!("ping {addr} in {jail:?} failed to run ({c:?}): {}", String::from_utf8_lossy(&o.stderr)),
        }
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

    /// How many commands fbsd-sim has run so far (since the log was last taken).
    pub fn log_len(&self) -> usize {
        std::fs::read_to_string(&self.log).map(|s| s.lines().count()).unwrap_or(0)
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

    /// Makes the jail root `jail_path` (under VIMAGE_ROOT, which is also fbsd-sim's `/`) a
    /// Linux userland's, laid out as Debian's: `/bin/sh` a link to `dash`, a Linux ELF, an
    /// `/etc/os-release`, and no `/etc/rc.conf`.
    pub fn linux_root(&self, jail_path: &str) {
        let root = self.root.join(jail_path.trim_start_matches('/'));
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("bin/dash"), vimage::elf::sample::linux()).unwrap();
        std::fs::set_permissions(root.join("bin/dash"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let _ = std::fs::remove_file(root.join("bin/sh"));
        std::os::unix::fs::symlink("dash", root.join("bin/sh")).unwrap();
        std::fs::write(root.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n").unwrap();
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
