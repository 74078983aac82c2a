//! A CBSD host for end-to-end tests: the fixture workdir (tests/fixtures/cbsd, VPC databases
//! included), the module's command links, the stand-in `cbsd` (tests/fixtures/cbsd-standin),
//! and fbsd-sim, with web1 reduced to one NIC on a chosen `nic_parent` and no address.
//! (tests/e2e_cbsd.rs keeps its own, older harness with both of web1's NICs.)

use super::World;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vimage::sim::Kernel;
use vimage_testkit::fixture::{FixtureSpec, build_workdir};

/// web1's database in the workdir.
pub const JDB: &str = "jails-system/web1/local.sqlite";
/// The node's database in the workdir.
pub const LOCAL: &str = "var/db/local.sqlite";

/// The CBSD host.
pub struct Cbsd {
    /// The simulated host.
    pub w: World,
    /// CBSD's workdir.
    pub workdir: PathBuf,
}

/// em0 with the address and the default route.
pub fn host() -> Kernel {
    let mut k = Kernel::freebsd14();
    k.add_ether("em0", "00:1b:21:aa:bb:cc", 1500);
    k.add_inet("em0", "192.168.1.10/24");
    k.set_default_route("192.168.1.1", "em0");
    k
}

impl Cbsd {
    /// The fixture workdir; web1 has one NIC, `nic_parent` = `parent`, no address.
    pub fn new(parent: &str) -> Cbsd {
        let w = World::new(host());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let spec = FixtureSpec::from_dir(&root.join("tests/fixtures/cbsd")).unwrap();
        let workdir = w.path().join("cbsd");
        build_workdir(&workdir, &spec).unwrap();
        // jstart tells a FreeBSD jail by its base's /bin/sh, vimage by the jail's.
        w.jail_rc("/usr/jails/jails-data/web1-data", "hostname=\"web1\"\n");
        let base = workdir.join("basejail/base_amd64_amd64_14.1/bin");
        let mounted = w.root.join("usr/jails/jails/web1/bin");
        for dir in [base, mounted] {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("sh"), vimage::elf::sample::freebsd()).unwrap();
            std::fs::set_permissions(dir.join("sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        std::fs::create_dir_all(workdir.join("modules")).unwrap();
        for e in std::fs::read_dir(root.join("modules/vimage.d")).unwrap() {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            if n.starts_with("vimage-") {
                std::os::unix::fs::symlink(super::vimage_bin(), workdir.join("modules").join(&n)).unwrap();
            }
        }
        let standin = w.cmd_dir.join("cbsd");
        std::fs::remove_file(&standin).unwrap();
        std::os::unix::fs::symlink(root.join("tests/fixtures/cbsd-standin/cbsd"), &standin).unwrap();
        let c = Cbsd { w, workdir };
        c.sql_exec(JDB, &format!("DELETE FROM jailnic WHERE name='nic1'; UPDATE jailnic SET nic_parent='{parent}'"));
        c.sql_exec(LOCAL, "UPDATE jails SET ip4_addr='0' WHERE jname='web1'");
        c
    }

    /// Runs the stand-in `cbsd` with `args`, in this world.
    pub fn cbsd(&self, args: &[&str]) -> Output {
        let path = format!("{}:{}", self.w.cmd_dir.display(), std::env::var("PATH").unwrap_or_default());
        Command::new(self.w.cmd_dir.join("cbsd"))
            .args(args)
            .env("workdir", &self.workdir)
            .env("PATH", path)
            .env("VIMAGE_TEST_BIN", super::vimage_bin())
            .env("VIMAGE_CMD_DIR", &self.w.cmd_dir)
            .env("FBSD_SIM_STATE", &self.w.state)
            .env("FBSD_SIM_LOG", &self.w.log)
            .env("FBSD_SIM_ROOT", &self.w.root)
            .env("VIMAGE_ROOT", &self.w.root)
            .output()
            .unwrap()
    }

    /// Runs vimage as CBSD would (with `workdir`).
    pub fn vimage(&self, args: &[&str]) -> Output {
        self.w.vimage_env(args, &[("workdir", self.workdir.to_str().unwrap())])
    }

    /// Runs SQL in one of the workdir's databases.
    pub fn sql_exec(&self, db: &str, q: &str) {
        rusqlite::Connection::open(self.workdir.join(db)).unwrap().execute_batch(q).unwrap();
    }
}
