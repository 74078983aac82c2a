//! vimage as a CBSD module, end to end: a CBSD workdir built from the SQL fixtures, the
//! module's command links, a stand-in `cbsd` (tests/fixtures/cbsd-standin/cbsd) that does
//! jstart/jstop in CBSD 14.1.3a's order of events with CBSD's own epair code, and fbsd-sim.

mod common;

use common::{World, code, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vimage::cbsd::fixture::{FixtureSpec, build_workdir};
use vimage::sim::Kernel;

struct Cbsd {
    w: World,
    workdir: PathBuf,
}

fn host() -> Kernel {
    let mut k = Kernel::freebsd14();
    k.add_ether("em0", "00:1b:21:aa:bb:cc", 1500);
    k.add_inet("em0", "192.168.1.10/24");
    k.set_default_route("192.168.1.1", "em0");
    k.add_ether("em1", "00:1b:21:aa:bb:cd", 1500);
    k.add_dhcp_server("em0", "192.168.1.1", 24, "192.168.1.100", "192.168.1.199");
    k
}

impl Cbsd {
    fn new() -> Cbsd {
        let w = World::new(host());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let spec = FixtureSpec::from_dir(&root.join("tests/fixtures/cbsd")).unwrap();
        let workdir = w.path().join("cbsd");
        build_workdir(&workdir, &spec).unwrap();
        // Every CBSD jail has a data directory with an /etc (the fixture's `data` column).
        for j in ["web1", "web2"] {
            w.jail_rc(&format!("/usr/jails/jails-data/{j}-data"), "hostname=\"{j}\"\n".replace("{j}", j).as_str());
        }
        // `cbsd initenv` links the enabled modules' commands into ${workdir}/modules; the
        // module's files point at /usr/local/bin/vimage, here the binary under test.
        std::fs::create_dir_all(workdir.join("modules")).unwrap();
        for e in std::fs::read_dir(root.join("modules/vimage.d")).unwrap() {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            if n.starts_with("vimage-") {
                std::os::unix::fs::symlink(common::vimage_bin(), workdir.join("modules").join(&n)).unwrap();
            }
        }
        let standin = w.cmd_dir.join("cbsd");
        std::fs::remove_file(&standin).unwrap();
        std::os::unix::fs::symlink(root.join("tests/fixtures/cbsd-standin/cbsd"), &standin).unwrap();
        Cbsd { w, workdir }
    }

    fn cbsd(&self, args: &[&str]) -> Output {
        let path = format!("{}:{}", self.w.cmd_dir.display(), std::env::var("PATH").unwrap_or_default());
        Command::new(self.w.cmd_dir.join("cbsd"))
            .args(args)
            .env("workdir", &self.workdir)
            .env("PATH", path)
            .env("VIMAGE_TEST_BIN", common::vimage_bin())
            .env("VIMAGE_CMD_DIR", &self.w.cmd_dir)
            .env("FBSD_SIM_STATE", &self.w.state)
            .env("FBSD_SIM_LOG", &self.w.log)
            .env("VIMAGE_ROOT", &self.w.root)
            .output()
            .unwrap()
    }

    fn sql(&self, db: &str, q: &str) -> String {
        let o = Command::new("sqlite3").arg(self.workdir.join(db)).arg(q).output().unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    fn epairs(&self) -> Vec<String> {
        self.w.kernel().host_ifnames().into_iter().filter(|n| n.starts_with("epair")).collect()
    }
}

fn ok(o: &Output) {
    assert_eq!(code(o), 0, "stdout: {}\nstderr: {}", stdout(o), stderr(o));
}

#[test]
fn enable_then_jstart_gives_vimage_nics_and_jstop_leaves_nothing() {
    let c = Cbsd::new();
    // The module's commands answer through CBSD's dispatch.
    let o = c.cbsd(&["vimage-bridge", "--desc"]);
    ok(&o);
    assert!(stdout(&o).starts_with("[vimage] "));

    let o = c.cbsd(&["vimage-set", "jname=web1", "enable=1"]);
    ok(&o);
    let poststart = c.sql("var/db/local.sqlite", "SELECT exec_poststart FROM jails WHERE jname='web1'");
    assert_eq!(poststart, "/usr/local/bin/vimage bridge -q jname=web1");
    assert!(c.workdir.join("jails-system/web1/master_prestop.d/vimage.sh").exists());
    assert!(c.workdir.join("jails-system/web1/bin/vimage").exists());
    let mac0 = c.sql("jails-system/web1/local.sqlite", "SELECT nic_hwaddr FROM jailnic WHERE name='epairb'");
    let m = vimage::model::Mac::parse(&mac0).unwrap();
    assert!(m.is_local(), "vimage's MAC went into CBSD's inventory before the first start: {mac0}");

    let before = c.w.kernel().snapshot();
    let o = c.cbsd(&["jstart", "jname=web1"]);
    ok(&o);
    let k = c.w.kernel();
    let eth0 = k.jail_iface("web1", "eth0").expect("eth0 inside web1");
    let eth1 = k.jail_iface("web1", "eth1").expect("eth1 inside web1");
    assert!(eth0.up && eth1.up);
    assert_eq!(eth0.mac.as_deref(), Some(mac0.as_str()));
    assert_eq!(eth1.mac.as_deref(), Some("00:a0:98:12:34:56"), "the admin's nic_hwaddr is kept");
    assert_eq!(c.epairs().len(), 2, "one epair per NIC, none doubled: {:?}", k.host_ifnames());
    for e in c.epairs() {
        let v = k.host_iface(&e).unwrap();
        assert!(v.description.as_deref().is_some_and(|d| d.starts_with("vimage:web1:")), "{e}: {:?}", v.description);
        assert!(v.groups.contains(&"vimage".to_string()));
    }
    assert!(!k.host_ifnames().iter().any(|n| n.starts_with("eth")), "no ethN left on the host");
    // CBSD's ip4_addr=REALDHCP: a lease inside, bpf visible on the jail's /dev, the rc.conf line.
    assert_eq!(eth0.addrs, ["192.168.1.100/24"]);
    assert!(k.devfs_visible("/usr/jails/jails/web1/dev").unwrap().iter().any(|d| d == "bpf"));
    let rc = c.w.root.join("usr/jails/jails-data/web1-data/etc/rc.conf");
    assert_eq!(std::fs::read_to_string(&rc).unwrap(), "hostname=\"web1\"\nifconfig_eth0=\"DHCP\"\n");

    let o = c.w.vimage_env(&["status", "--json"], &[("workdir", c.workdir.to_str().unwrap())]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["jails"][0]["nics"].as_array().unwrap().len(), 2, "{j}");
    assert!(j["jails"][0]["nics"].as_array().unwrap().iter().all(|n| n["state"] == "up"), "{j}");

    // Bridging again by hand changes nothing.
    let snap = c.w.kernel().snapshot();
    let o = c.cbsd(&["vimage-bridge", "jname=web1"]);
    ok(&o);
    assert!(stdout(&o).contains("already bridged"), "{}", stdout(&o));
    assert_eq!(c.w.kernel().snapshot(), snap);

    let o = c.cbsd(&["jstop", "jname=web1"]);
    ok(&o);
    let k = c.w.kernel();
    assert!(c.epairs().is_empty(), "{:?}", k.host_ifnames());
    assert!(!k.host_ifnames().iter().any(|n| n.starts_with("eth")), "eth0 never came back to the host");
    // CBSD's bridges (description = uplink) are CBSD's: they stay, as with CBSD alone.
    let host = |s: &vimage::sim::Snapshot| -> Vec<String> {
        s.interfaces
            .iter()
            .filter(|i| i.vnet == "host" && !i.name.starts_with("bridge"))
            .map(|i| i.name.clone())
            .collect()
    };
    assert_eq!(host(&k.snapshot()), host(&before));
}

#[test]
fn a_hundred_restarts_leak_nothing() {
    let c = Cbsd::new();
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    let settled = c.w.kernel().host_ifnames().len();
    let n: usize = std::env::var("VIMAGE_TEST_RESTARTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    for i in 0..n {
        let o = c.cbsd(&["jrestart", "jname=web1"]);
        ok(&o);
        let k = c.w.kernel();
        assert_eq!(k.host_ifnames().len(), settled, "restart {i}: {:?}", k.host_ifnames());
        assert_eq!(c.epairs().len(), 2, "restart {i}");
        assert!(k.jail_iface("web1", "eth0").is_some() && k.jail_iface("web1", "eth1").is_some(), "restart {i}");
    }
    ok(&c.cbsd(&["jstop", "jname=web1"]));
    assert!(c.epairs().is_empty());
    let db = vimage::state::StateDb::open(&c.workdir.join("var/db/vimage.sqlite")).unwrap();
    assert!(db.all_attachments().unwrap().is_empty(), "no records left");
    assert!(db.unfinished_runs().unwrap().is_empty());
}

#[test]
fn jconfig_reaches_set_and_disable_gives_everything_back() {
    let c = Cbsd::new();
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    // CBSD's jconfig: `. ${jailsysdir}/<jname>/bin/<cmd>; myconf ${cfgargs}` (jailctl/jconfig).
    let bin = c.workdir.join("jails-system/web1/bin/vimage");
    let script =
        std::fs::read_to_string(&bin).unwrap().replace("/usr/local/bin/vimage", common::vimage_bin().to_str().unwrap());
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("{script}\nmyconf $*"))
        .arg("jconfig")
        .args(["interface=\"em0", "em1\""])
        .env("jname", "web1")
        .env("workdir", &c.workdir)
        .env("VIMAGE_ROOT", &c.w.root)
        .env("VIMAGE_CMD_DIR", &c.w.cmd_dir)
        .env("FBSD_SIM_STATE", &c.w.state)
        .output()
        .unwrap();
    ok(&o);
    assert!(stdout(&o).contains("interface=em0 em1"), "{}", stdout(&o));

    let o = c.cbsd(&["vimage-set", "jname=web1", "enable=0"]);
    ok(&o);
    assert_eq!(c.sql("var/db/local.sqlite", "SELECT exec_poststart FROM jails WHERE jname='web1'"), "0");
    assert!(!c.workdir.join("jails-system/web1/master_prestop.d/vimage.sh").exists());
    assert!(!bin.exists());
}

#[test]
fn a_failing_vimage_at_jail_start_stops_the_start_and_leaves_nothing() {
    let c = Cbsd::new();
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    // NIC 1's uplink vanishes: CBSD's own code still works on em0, vimage refuses the jail.
    ok(&c.cbsd(&["vimage-set", "jname=web1", "interface=em0,em7"]));
    let before = c.w.kernel().snapshot();
    let o = c.cbsd(&["jstart", "jname=web1"]);
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("uplink em7 does not exist"), "{}", stderr(&o));
    let k = c.w.kernel();
    assert!(k.jail_jid("web1").is_none(), "jail(8) removed the jail after exec.poststart failed");
    // jstop (what CBSD does after a failed start) then clears CBSD's own epairs.
    ok(&c.cbsd(&["jstop", "jname=web1"]));
    assert!(c.epairs().is_empty(), "{:?}", c.w.kernel().host_ifnames());
    let host = |s: &vimage::sim::Snapshot| -> Vec<String> {
        s.interfaces
            .iter()
            .filter(|i| i.vnet == "host" && !i.name.starts_with("bridge"))
            .map(|i| i.name.clone())
            .collect()
    };
    assert_eq!(host(&c.w.kernel().snapshot()), host(&before));
}

#[test]
fn hostile_or_damaged_cbsd_data_is_refused_with_the_right_code_and_changes_nothing() {
    let c = Cbsd::new();
    let before = c.w.kernel().snapshot();
    let jdb = "jails-system/web1/local.sqlite";
    let env = [("workdir", c.workdir.to_str().unwrap())];
    let cases: &[(&str, &str, i32, &str)] = &[
        (jdb, "UPDATE jailnic SET nic_parent='em0;reboot' WHERE name='epairb'", 65, "nic_parent"),
        (jdb, "UPDATE jailnic SET nic_parent='$(reboot)' WHERE name='epairb'", 65, "nic_parent"),
        (jdb, "UPDATE jailnic SET nic_hwaddr='$(reboot)' WHERE name='epairb'", 65, "nic_hwaddr"),
        (jdb, "UPDATE jailnic SET nic_hwaddr='ff:ff:ff:ff:ff:ff' WHERE name='epairb'", 65, "multicast"),
        (jdb, "UPDATE jailnic SET nic_hwaddr='02:00:00:00:00' WHERE name='epairb'", 65, "nic_hwaddr"),
        (jdb, "UPDATE jailnic SET nic_order='x' WHERE name='nic1'", 65, "nic_order"),
        (jdb, "DROP TABLE jailnic", 65, "jailnic"),
    ];
    for (db, sql, want, text) in cases {
        let c = Cbsd::new();
        let o = Command::new("sqlite3").arg(c.workdir.join(db)).arg(sql).output().unwrap();
        assert!(o.status.success(), "{sql}: {}", String::from_utf8_lossy(&o.stderr));
        let o = c.w.vimage_env(&["bridge", "jname=web1"], &[("workdir", c.workdir.to_str().unwrap())]);
        assert_eq!(code(&o), *want, "{sql}: {}", stderr(&o));
        assert!(stderr(&o).contains(text), "{sql}: {}", stderr(&o));
        assert!(stderr(&o).contains("web1"), "names the jail: {}", stderr(&o));
        assert_eq!(c.w.kernel().snapshot(), before, "{sql}");
    }
    // A damaged CBSD database: 65, naming the file.
    std::fs::write(c.workdir.join(jdb), vec![0x42; 2048]).unwrap();
    let o = c.w.vimage_env(&["bridge", "jname=web1"], &env);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("local.sqlite"), "{}", stderr(&o));
    // A missing per-jail database: 69.
    std::fs::remove_file(c.workdir.join(jdb)).unwrap();
    let o = c.w.vimage_env(&["bridge", "jname=web1"], &env);
    assert_eq!(code(&o), 69, "{}", stderr(&o));
    assert_eq!(c.w.kernel().snapshot(), before);
}

#[test]
fn a_cbsd_database_locked_by_a_writer_is_75() {
    let c = Cbsd::new();
    // A writer holding the jails database in the rollback-journal mode CBSD used before WAL:
    // readers wait for it, then give up with 75.
    let db = c.workdir.join("var/db/local.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE; UPDATE jails SET status=status;").unwrap();
    let o = c.w.vimage_env(
        &["bridge", "jname=web1"],
        &[("workdir", c.workdir.to_str().unwrap()), ("VIMAGE_DB_BUSY_TIMEOUT", "0.3")],
    );
    assert_eq!(code(&o), 75, "{}", stderr(&o));
    conn.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn doctor_warns_when_cbsd_inventory_disagrees_with_the_kernel() {
    let c = Cbsd::new();
    let env = [("workdir", c.workdir.to_str().unwrap())];
    let o = c.w.vimage_env(&["doctor", "--json"], &env);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let inv = j["checks"].as_array().unwrap().iter().find(|x| x["name"] == "nc.inventory").cloned().unwrap();
    assert_eq!(inv["status"], "ok", "{inv}");
    let p = c.workdir.join("nc.inventory");
    let t = std::fs::read_to_string(&p).unwrap().replace("vimage_feature=\"1\"", "vimage_feature=\"0\"");
    std::fs::write(&p, t).unwrap();
    let o = c.w.vimage_env(&["doctor"], &env);
    assert_eq!(code(&o), 69, "{}", stdout(&o));
    assert!(stdout(&o).contains("cbsd initenv"), "{}", stdout(&o));
    // Truncated mid-line: a warning, not a crash.
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, &t[..t.find("vimage_feature").unwrap() + 17]).unwrap();
    let o = c.w.vimage_env(&["doctor"], &env);
    assert!(matches!(code(&o), 0 | 69), "{}", stderr(&o));
    assert!(stdout(&o).contains("nc.inventory"), "{}", stdout(&o));
}
