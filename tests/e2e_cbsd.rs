//! vimage as a CBSD module, end to end: a CBSD workdir built from the SQL fixtures, the
//! module's command links, a stand-in `cbsd` (tests/fixtures/cbsd-standin/cbsd) transcribed
//! from CBSD 14.1.3a's jstart, jstop, jset and jcleanup (it skips, ignores and leaks what
//! they do), and fbsd-sim for FreeBSD's commands.

mod common;

use common::{World, code, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vimage::parse::ifconfig::parse_status;
use vimage::sim::Kernel;
use vimage::sim::kernel::{IfSnap, Snapshot};
use vimage_testkit::fixture::{FixtureSpec, build_workdir};

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

const POSTSTART: &str = "/usr/local/bin/vimage bridge -q jname=web1";
/// web1's data directory, the root of its Linux userland in [`Cbsd::linux`].
const LINUX_ROOT: &str = "/usr/jails/jails-data/web1-data";
const LOCAL: &str = "var/db/local.sqlite";
const JDB: &str = "jails-system/web1/local.sqlite";

impl Cbsd {
    fn new() -> Cbsd {
        let w = World::new(host());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let spec = FixtureSpec::from_dir(&root.join("tests/fixtures/cbsd")).unwrap();
        let workdir = w.path().join("cbsd");
        build_workdir(&workdir, &spec).unwrap();
        // Every CBSD jail has a data directory with an /etc (the fixture's `data` column), and
        // a FreeBSD base: jstart tells FreeBSD jails by ${BASE_DIR}/bin/sh (baserw=0), vimage by
        // the jail's /bin/sh, which is that base mounted on the jail's path.
        for (j, ver) in [("web1", "14.1"), ("web2", "15.0")] {
            w.jail_rc(&format!("/usr/jails/jails-data/{j}-data"), &format!("hostname=\"{j}\"\n"));
            let base = workdir.join(format!("basejail/base_amd64_amd64_{ver}/bin"));
            let mounted = w.root.join(format!("usr/jails/jails/{j}/bin"));
            for dir in [base, mounted] {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join("sh"), vimage::elf::sample::freebsd()).unwrap();
                let x = std::os::unix::fs::PermissionsExt::from_mode(0o755);
                std::fs::set_permissions(dir.join("sh"), x).unwrap();
            }
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

    /// web1 with one NIC (its second jailnic row deleted) and `ip4_addr`.
    fn one_nic(ip4_addr: &str) -> Cbsd {
        let c = Cbsd::new();
        c.sql_exec(JDB, "DELETE FROM jailnic WHERE name='nic1'");
        c.sql_exec(LOCAL, &format!("UPDATE jails SET ip4_addr='{ip4_addr}' WHERE jname='web1'"));
        c
    }

    /// web1 with one NIC and a Linux userland, as CBSD keeps one (baserw=1: the jail's root is
    /// its data directory, a Debian-like tree without /etc/rc.conf), `ip4_addr` and `ci_gw4`,
    /// on a FreeBSD 15.0 host (route(8) has -j; em0 keeps its address as a bridge member).
    fn linux(ip4_addr: &str, ci_gw4: &str) -> Cbsd {
        let c = Cbsd::one_nic(ip4_addr);
        c.w.edit(|k| {
            k.set_osreldate(1_500_000);
            let mut s = vimage::sim::Sim::new(k.clone());
            assert_eq!(s.exec("sysctl", &["net.link.bridge.member_ifaddrs=1".to_string()]).code, 0);
            *k = s.kernel;
        });
        c.sql_exec(LOCAL, &format!("UPDATE jails SET baserw=1, ci_gw4='{ci_gw4}' WHERE jname='web1'"));
        std::fs::remove_file(c.w.root.join(format!("{LINUX_ROOT}/etc/rc.conf").trim_start_matches('/'))).unwrap();
        c.w.linux_root(LINUX_ROOT);
        c
    }

    fn rc_view_file(&self) -> PathBuf {
        self.w.path().join("rc-view")
    }

    fn cbsd(&self, args: &[&str]) -> Output {
        let path = format!("{}:{}", self.w.cmd_dir.display(), std::env::var("PATH").unwrap_or_default());
        Command::new(self.w.cmd_dir.join("cbsd"))
            .args(args)
            .env("workdir", &self.workdir)
            .env("PATH", path)
            .env("VIMAGE_TEST_BIN", common::vimage_bin())
            .env("VIMAGE_TEST_RC_VIEW", self.rc_view_file())
            .env("VIMAGE_CMD_DIR", &self.w.cmd_dir)
            .env("FBSD_SIM_STATE", &self.w.state)
            .env("FBSD_SIM_LOG", &self.w.log)
            .env("FBSD_SIM_ROOT", &self.w.root)
            .env("VIMAGE_ROOT", &self.w.root)
            .output()
            .unwrap()
    }

    fn vimage(&self, args: &[&str]) -> Output {
        self.w.vimage_env(args, &[("workdir", self.workdir.to_str().unwrap())])
    }

    fn sql(&self, db: &str, q: &str) -> String {
        let o = Command::new("sqlite3").arg(self.workdir.join(db)).arg(q).output().unwrap();
        assert!(o.status.success(), "{q}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    fn sql_exec(&self, db: &str, q: &str) {
        let conn = rusqlite::Connection::open(self.workdir.join(db)).unwrap();
        conn.execute_batch(q).unwrap();
    }

    fn epairs(&self) -> Vec<String> {
        self.w.kernel().host_ifnames().into_iter().filter(|n| n.starts_with("epair")).collect()
    }

    /// What the jail's /etc/rc saw at the last start: the interfaces `jexec web1 ifconfig`
    /// listed just before CBSD's late_start ran it.
    fn last_rc_view(&self) -> Vec<vimage::parse::ifconfig::IfStatus> {
        let text = std::fs::read_to_string(self.rc_view_file()).unwrap_or_default();
        let last = text.rsplit("# /etc/rc of web1 sees:\n").next().unwrap_or_default();
        parse_status(last)
    }

    fn jailnic_macs(&self) -> Vec<String> {
        self.sql(JDB, "SELECT nic_hwaddr FROM jailnic ORDER BY id").lines().map(String::from).collect()
    }

    fn column(&self, col: &str) -> String {
        self.sql(LOCAL, &format!("SELECT quote({col}) FROM jails WHERE jname='web1'"))
    }
}

fn ok(o: &Output) {
    assert_eq!(code(o), 0, "stdout: {}\nstderr: {}", stdout(o), stderr(o));
}

fn all_output(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// Asserts that `after` is `before` plus only the bridges CBSD's jstart creates and never
/// removes (subr/vnet.subr get_my_device: `ifconfig bridgeN create description <uplink>`,
/// `addm <uplink> up`): one per uplink in `uplinks`, with the uplink as its only member.
fn only_cbsds_bridges_added(before: &Snapshot, after: &Snapshot, uplinks: &[&str]) {
    let extra: Vec<&IfSnap> = after.interfaces.iter().filter(|i| !before.interfaces.contains(i)).collect();
    let missing: Vec<&IfSnap> = before.interfaces.iter().filter(|i| !after.interfaces.contains(i)).collect();
    assert!(missing.is_empty(), "interfaces changed or gone: {missing:#?}\nnow: {extra:#?}");
    let mut got: Vec<String> = extra
        .iter()
        .map(|b| {
            assert!(b.name.starts_with("bridge") && b.vnet == "host", "{b:?}");
            let up = b.description.clone().unwrap_or_default();
            assert_eq!(b.members, std::slice::from_ref(&up), "only the uplink stays on CBSD's bridge: {b:?}");
            up
        })
        .collect();
    got.sort();
    assert_eq!(got, uplinks, "{extra:#?}");
    let strip = |s: &Snapshot| Snapshot { interfaces: Vec::new(), ..s.clone() };
    assert_eq!(strip(after), strip(before), "nothing but interfaces differs");
}

#[test]
fn cbsd_jset_skips_exec_poststart_and_ignores_nic_hwaddr_of_a_running_jail() {
    let c = Cbsd::new();
    // jailctl/jset: `[ "${argpart}" = "exec_poststart" ] && continue`, silently, exit 0.
    let o = c.cbsd(&["jset", "jname=web1", &format!("exec_poststart={POSTSTART}"), "astart=1"]);
    ok(&o);
    assert_eq!(stdout(&o), "astart: 1\n");
    assert_eq!(c.column("exec_poststart"), "'0'");
    // A stopped jail: nic_hwaddr goes to the row named epairb.
    ok(&c.cbsd(&["jset", "jname=web1", "nic_hwaddr=02:00:00:00:00:aa"]));
    assert_eq!(c.jailnic_macs()[0], "02:00:00:00:00:aa");
    // A running one: only the on-the-fly keys change anything.
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    let o = c.cbsd(&["jset", "jname=web1", "nic_hwaddr=02:00:00:00:00:bb", "devfs_ruleset=50"]);
    ok(&o);
    assert_eq!(stdout(&o), "nic_hwaddr: on-the-fly currently unimplemented\ndevfs_ruleset: 50\n");
    assert_eq!(c.jailnic_macs()[0], "02:00:00:00:00:aa");
    assert_eq!(c.column("devfs_ruleset"), "50");
}

#[test]
fn cbsd_alone_moves_its_epairs_in_down_and_jstop_leaves_only_its_bridges() {
    let c = Cbsd::new();
    let pristine = c.w.kernel().snapshot();
    for _ in 0..2 {
        let o = c.cbsd(&["jstart", "jname=web1"]);
        ok(&o);
        let k = c.w.kernel();
        let eth0 = k.jail_iface("web1", "eth0").expect("CBSD's move loop renamed and moved it");
        assert!(!eth0.up, "CBSD moves its epair in DOWN: {eth0:?}");
        assert!(k.jail_iface("web1", "eth1").is_some());
        let o = c.cbsd(&["jstop", "jname=web1"]);
        ok(&o);
        assert!(!all_output(&o).contains("ifconfig:"), "{}", all_output(&o));
        only_cbsds_bridges_added(&pristine, &c.w.kernel().snapshot(), &["em0", "em1"]);
    }
}

#[test]
fn enable_writes_the_jails_column_and_disable_restores_every_byte() {
    let c = Cbsd::new();
    let before_macs = c.jailnic_macs();
    assert_eq!(c.column("exec_poststart"), "'0'");
    let o = c.cbsd(&["vimage-set", "jname=web1", "enable=1"]);
    ok(&o);
    let out = stdout(&o);
    assert!(out.contains("exec_poststart=") && out.contains("local.sqlite"), "{out}");
    assert_eq!(c.column("exec_poststart"), format!("'{POSTSTART}'"));
    assert!(c.workdir.join("jails-system/web1/master_prestop.d/vimage.sh").exists());
    assert!(c.workdir.join("jails-system/web1/bin/vimage").exists());
    let macs = c.jailnic_macs();
    let m = vimage::model::Mac::parse(&macs[0]).unwrap();
    assert!(m.is_local(), "vimage's MAC went into CBSD's inventory before the first start: {macs:?}");
    assert_eq!(macs[1], before_macs[1], "the admin's nic_hwaddr is kept");
    // Twice changes nothing.
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    assert_eq!(c.column("exec_poststart"), format!("'{POSTSTART}'"));

    let o = c.cbsd(&["vimage-set", "jname=web1", "enable=0"]);
    ok(&o);
    assert_eq!(c.column("exec_poststart"), "'0'", "the text '0' CBSD wrote, not NULL or 0");
    assert_eq!(c.jailnic_macs(), before_macs);
    assert!(!c.workdir.join("jails-system/web1/master_prestop.d/vimage.sh").exists());
    assert!(!c.workdir.join("jails-system/web1/bin/vimage").exists());
    assert!(c.workdir.join("jails-system/web1/master_prestop.d").is_dir(), "CBSD's hook directory stays");

    // An earlier command of the admin's runs after vimage's and comes back as it was.
    c.sql_exec(LOCAL, "UPDATE jails SET exec_poststart='/root/mine.sh \"x\"' WHERE jname='web1'");
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    assert_eq!(c.column("exec_poststart"), format!("'{POSTSTART}; /root/mine.sh \"x\"'"));
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=0"]));
    assert_eq!(c.column("exec_poststart"), "'/root/mine.sh \"x\"'");
}

#[test]
fn enable_fails_when_the_column_does_not_take_and_changes_nothing() {
    let cases = [
        ("CREATE TRIGGER keep BEFORE UPDATE ON jails BEGIN SELECT RAISE(IGNORE); END", "did not take"),
        (
            "CREATE TRIGGER ro BEFORE UPDATE ON jails BEGIN SELECT RAISE(ABORT, 'attempt to write a readonly database'); END",
            "readonly",
        ),
    ];
    for (trigger, why) in cases {
        let c = Cbsd::new();
        c.sql_exec(LOCAL, trigger);
        let macs = c.jailnic_macs();
        let o = c.cbsd(&["vimage-set", "jname=web1", "enable=1"]);
        assert_ne!(code(&o), 0, "{trigger}: {}", all_output(&o));
        let e = stderr(&o);
        for want in ["web1", "local.sqlite", "exec_poststart", why] {
            assert!(e.contains(want), "{trigger}: {want} not in {e}");
        }
        assert_eq!(c.column("exec_poststart"), "'0'");
        assert_eq!(c.jailnic_macs(), macs, "no MAC written either");
        assert!(!c.workdir.join("jails-system/web1/master_prestop.d/vimage.sh").exists());
        assert!(!c.workdir.join("jails-system/web1/bin/vimage").exists());
    }
    // The column took, the MAC did not: what enable=1 had done so far is undone.
    let c = Cbsd::new();
    c.sql_exec(JDB, "CREATE TRIGGER keep BEFORE UPDATE ON jailnic BEGIN SELECT RAISE(IGNORE); END");
    let o = c.cbsd(&["vimage-set", "jname=web1", "enable=1"]);
    assert_eq!(code(&o), 73, "{}", all_output(&o));
    for want in ["web1", "nic_hwaddr", "jails-system/web1/local.sqlite", "undone"] {
        assert!(stderr(&o).contains(want), "{want} not in {}", stderr(&o));
    }
    assert_eq!(c.column("exec_poststart"), "'0'");
    assert!(!c.workdir.join("jails-system/web1/master_prestop.d/vimage.sh").exists());
    assert!(!c.workdir.join("jails-system/web1/bin/vimage").exists());
    // A database file that is really read-only (not for root, who writes it anyway).
    use std::os::unix::fs::PermissionsExt;
    let c = Cbsd::new();
    let db = std::fs::canonicalize(c.workdir.join(LOCAL)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    if std::fs::OpenOptions::new().append(true).open(&db).is_ok() {
        eprintln!("running as root: the read-only file case is covered by the triggers above");
        return;
    }
    let o = c.cbsd(&["vimage-set", "jname=web1", "enable=1"]);
    assert_eq!(code(&o), 73, "{}", all_output(&o));
    assert!(stderr(&o).contains("exec_poststart") && stderr(&o).contains("web1"), "{}", stderr(&o));
}

/// One `cbsd jstart` + `cbsd jstop` of web1 with vimage enabled, checked: before its /etc/rc
/// runs the jail has exactly `nics` (name, uplink), each UP with vimage's MAC (the jailnic
/// row's), its host end (CBSD's epair, still described `web1-eth<N>`) on a bridge with the
/// uplink; CBSD's own output has no failed ifconfig but its move loop's; after the stop the
/// host is `baseline` exactly.
fn cycle(c: &Cbsd, i: usize, nics: &[(&str, &str)], baseline: &Snapshot) {
    let o = c.cbsd(&["jstart", "jname=web1"]);
    ok(&o);
    let macs = c.jailnic_macs();
    let seen = c.last_rc_view();
    let names: Vec<&str> = seen.iter().map(|s| s.name.as_str()).collect();
    let mut want: Vec<&str> = vec!["lo0"];
    want.extend(nics.iter().map(|(n, _)| *n));
    assert_eq!(names, want, "cycle {i}: what /etc/rc sees");
    let k = c.w.kernel();
    for (n, (name, uplink)) in nics.iter().enumerate() {
        let s = seen.iter().find(|s| s.name == *name).unwrap();
        assert!(s.up, "cycle {i}: {name} is UP before /etc/rc: {s:?}");
        assert_eq!(s.mac.as_deref(), Some(macs[n].as_str()), "cycle {i}: {name} has the jailnic row's MAC");
        let host_end = k.jail_iface("web1", name).unwrap().peer.unwrap();
        let he = k.host_iface(&host_end).unwrap();
        assert_eq!(he.description.as_deref(), Some(format!("web1-eth{n}").as_str()), "cycle {i}: CBSD's marker");
        assert!(he.groups.iter().any(|g| g == "vimage"), "cycle {i}: {he:?}");
        let on_bridge = k
            .host_ifnames()
            .into_iter()
            .filter_map(|b| k.host_iface(&b))
            .any(|b| b.members.contains(&host_end) && b.members.iter().any(|m| m == uplink));
        assert!(on_bridge, "cycle {i}: {host_end} is on a bridge with {uplink}");
    }
    assert!(
        !k.host_ifnames().iter().any(|n| n.starts_with("eth") || (n.starts_with("epair") && n.ends_with('b'))),
        "cycle {i}: no jail end left on the host: {:?}",
        k.host_ifnames()
    );
    // CBSD's move loop (sudoexec/jstart l.847, l.855) finds its epairNb gone: harmless.
    for l in all_output(&o).lines().filter(|l| l.contains("ifconfig:")) {
        let moved = l.strip_prefix("ifconfig: interface epair").and_then(|r| r.strip_suffix("b does not exist"));
        assert!(moved.is_some_and(|u| u.bytes().all(|b| b.is_ascii_digit())), "cycle {i}: {l}\n{}", all_output(&o));
    }
    let o = c.vimage(&["status", "--json"]);
    ok(&o);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let st = j["jails"][0]["nics"].as_array().unwrap();
    assert_eq!(st.len(), nics.len(), "cycle {i}: {j}");
    assert!(st.iter().all(|n| n["state"] == "up"), "cycle {i}: {j}");

    let o = c.cbsd(&["jstop", "jname=web1"]);
    ok(&o);
    let out = all_output(&o);
    assert!(!out.contains("ifconfig:") && !out.contains("Cant find"), "cycle {i}: CBSD's jstop: {out}");
    assert_eq!(c.w.kernel().snapshot(), *baseline, "cycle {i}: the host after jstop");
}

/// `cbsd vimage-set enable=1`, then `n` start/stop cycles; the host after each stop equals the
/// host before the first start plus the bridges CBSD made (and never removes).
fn cycles(c: &Cbsd, n: usize, nics: &[(&str, &str)]) {
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    let pristine = c.w.kernel().snapshot();
    let mut uplinks: Vec<&str> = nics.iter().map(|(_, u)| *u).collect();
    uplinks.sort();
    uplinks.dedup();
    let mut baseline: Option<Snapshot> = None;
    for i in 0..n {
        let base = baseline.clone().unwrap_or_else(|| pristine.clone());
        if baseline.is_none() {
            // The first start makes CBSD's bridges: compare with what is left afterwards.
            let o = c.cbsd(&["jstart", "jname=web1"]);
            ok(&o);
            ok(&c.cbsd(&["jstop", "jname=web1"]));
            let after = c.w.kernel().snapshot();
            only_cbsds_bridges_added(&base, &after, &uplinks);
            baseline = Some(after);
            continue;
        }
        cycle(c, i, nics, &base);
    }
    let db = vimage::state::StateDb::open(&c.workdir.join("var/db/vimage.sqlite")).unwrap();
    assert!(db.all_attachments().unwrap().is_empty(), "no records left");
    assert!(db.unfinished_runs().unwrap().is_empty());
}

fn n_cycles() -> usize {
    std::env::var("VIMAGE_TEST_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(20)
}

#[test]
fn twenty_cycles_of_a_realdhcp_jail_with_two_nics_leave_the_host_as_before() {
    let c = Cbsd::new();
    cycles(&c, n_cycles(), &[("eth0", "em0"), ("eth1", "em1")]);
    // CBSD's ip4_addr=REALDHCP: the lease, bpf in the jail's /dev and the rc.conf line came
    // from vimage at the last start.
    let rc = c.w.root.join("usr/jails/jails-data/web1-data/etc/rc.conf");
    assert_eq!(std::fs::read_to_string(&rc).unwrap(), "hostname=\"web1\"\nifconfig_eth0=\"DHCP\"\n");
}

#[test]
fn twenty_cycles_of_a_one_nic_epair_jail_leave_the_host_as_before() {
    let c = Cbsd::one_nic("0");
    cycles(&c, n_cycles(), &[("eth0", "em0")]);
}

#[test]
fn a_dhcp_lease_and_bpf_are_there_before_rc() {
    let c = Cbsd::new();
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    let seen = c.last_rc_view();
    let eth0 = seen.iter().find(|s| s.name == "eth0").unwrap();
    assert_eq!(eth0.inet, ["192.168.1.100"], "{eth0:?}");
    let k = c.w.kernel();
    assert!(k.devfs_visible("/usr/jails/jails/web1/dev").unwrap().iter().any(|d| d == "bpf"));
    // Bridging again by hand changes nothing.
    let snap = k.snapshot();
    let o = c.cbsd(&["vimage-bridge", "jname=web1"]);
    ok(&o);
    assert!(stdout(&o).contains("already bridged"), "{}", stdout(&o));
    assert_eq!(c.w.kernel().snapshot(), snap);
}

#[test]
fn a_failing_vimage_bridge_during_jstart_removes_the_jail_and_leaves_nothing() {
    // Refused by the planner: NIC 1's uplink does not exist.
    let c = Cbsd::new();
    let pristine = c.w.kernel().snapshot();
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    ok(&c.cbsd(&["vimage-set", "jname=web1", "interface=em0,em7"]));
    let o = c.cbsd(&["jstart", "jname=web1"]);
    ok(&o); // sudoexec/jstart exits 0 whatever happened (l.1172)
    let e = stderr(&o);
    assert!(e.contains("uplink em7 does not exist"), "{e}");
    assert!(e.contains(&format!("jail: web1: {POSTSTART}: failed")), "{e}");
    assert!(c.w.kernel().jail_jid("web1").is_none(), "jail(8) removed the jail after exec.poststart failed");
    assert_eq!(c.sql(LOCAL, "SELECT jid, status FROM jails WHERE jname='web1'"), "0|0");
    only_cbsds_bridges_added(&pristine, &c.w.kernel().snapshot(), &["em0", "em1"]);

    // Failing at its k-th kernel change (armed by the command jail(8) runs just before it):
    // rolled back, the jail removed, CBSD's cleanup finds its epairs by their description.
    // (Every k is covered in-process by tests/fault_injection.rs; here a spread of them.)
    let mut k: u32 = 1;
    loop {
        let c = Cbsd::one_nic("REALDHCP");
        let pristine = c.w.kernel().snapshot();
        ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
        let arm = format!("{} sim fail-at {k} EIO && {POSTSTART}", common::sim_bin().display());
        c.sql_exec(LOCAL, &format!("UPDATE jails SET exec_poststart='{arm}' WHERE jname='web1'"));
        let o = c.cbsd(&["jstart", "jname=web1"]);
        ok(&o);
        if c.w.kernel().jail_jid("web1").is_some() {
            assert!(k > 3, "vimage makes several changes: {}", all_output(&o));
            break;
        }
        assert!(stderr(&o).contains(": failed"), "fault {k}: {}", all_output(&o));
        only_cbsds_bridges_added(&pristine, &c.w.kernel().snapshot(), &["em0"]);
        assert_eq!(c.column("devfs_ruleset"), "5", "fault {k}: CBSD's devfs_ruleset given back");
        let db = vimage::state::StateDb::open(&c.workdir.join("var/db/vimage.sqlite")).unwrap();
        assert!(db.all_attachments().unwrap().is_empty(), "fault {k}: no records left");
        k += k.div_ceil(2);
    }
}

#[test]
fn unbridge_by_hand_gives_cbsds_epairs_back_and_bridge_takes_them_again() {
    let c = Cbsd::one_nic("0");
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    let mac = c.jailnic_macs()[0].clone();
    let o = c.cbsd(&["vimage-unbridge", "jname=web1"]);
    ok(&o);
    let k = c.w.kernel();
    let eth0 = k.jail_iface("web1", "eth0").expect("CBSD's epair stays in the jail");
    let he = k.host_iface(eth0.peer.as_deref().unwrap()).unwrap();
    assert_eq!(he.description.as_deref(), Some("web1-eth0"));
    assert!(!he.groups.iter().any(|g| g == "vimage"), "given back: {he:?}");
    let o = c.vimage(&["status", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Nothing is attached any more; what is left is the MAC vimage keeps for the NIC (state
    // `stored`, no host object: issue 12 item 15), shown because the jail runs.
    let jails = j["jails"].as_array().unwrap();
    assert_eq!(jails.len(), 1, "{j}");
    let nics = jails[0]["nics"].as_array().unwrap();
    assert_eq!(nics.len(), 1, "{j}");
    assert_eq!((nics[0]["state"].as_str(), nics[0]["mac"].as_str()), (Some("stored"), Some(mac.as_str())), "{j}");
    assert!(nics[0]["host_if"].is_null() && nics[0]["bridge"].is_null(), "given back, not vimage's: {j}");
    // Taken over again where CBSD's move loop would have left it: inside the jail.
    let o = c.cbsd(&["vimage-bridge", "jname=web1"]);
    ok(&o);
    let k = c.w.kernel();
    let eth0 = k.jail_iface("web1", "eth0").unwrap();
    assert!(eth0.up && eth0.mac.as_deref() == Some(mac.as_str()), "{eth0:?}");
    assert!(k.host_iface(eth0.peer.as_deref().unwrap()).unwrap().groups.iter().any(|g| g == "vimage"));
    assert_eq!(c.epairs().len(), 1);
    let o = c.cbsd(&["jstop", "jname=web1"]);
    ok(&o);
    assert!(!all_output(&o).contains("ifconfig:"), "{}", all_output(&o));
    assert!(c.epairs().is_empty());
}

/// `cbsd jcreate` copies the profile's system skeleton into `jails-system/<jname>/`
/// (sudoexec/jcreate l.562-572); from CBSD's wizard the jail's exec_poststart is "0". The
/// skeleton's master_prestart.d hook enables it before makejconf reads the row.
#[test]
fn a_jail_made_with_the_profile_in_cbsds_wizard_is_enabled_by_its_skeleton_at_the_first_start() {
    let c = Cbsd::one_nic("0");
    let skel = Path::new(env!("CARGO_MANIFEST_DIR")).join("share/cbsd/system-skel");
    let sys = c.workdir.join("jails-system/web1");
    for f in ["master_prestart.d/vimage.sh", "master_prestop.d/vimage.sh", "bin/vimage"] {
        std::fs::create_dir_all(sys.join(f).parent().unwrap()).unwrap();
        std::fs::copy(skel.join(f), sys.join(f)).unwrap();
    }
    assert_eq!(c.column("exec_poststart"), "'0'");
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    assert_eq!(c.column("exec_poststart"), format!("'{POSTSTART}'"));
    let seen = c.last_rc_view();
    let eth0 = seen.iter().find(|s| s.name == "eth0").expect("eth0 before /etc/rc");
    assert!(eth0.up, "{eth0:?}");
    let o = c.cbsd(&["jstop", "jname=web1"]);
    ok(&o);
    assert!(!all_output(&o).contains("ifconfig:"), "{}", all_output(&o));
    assert!(c.epairs().is_empty());
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=0"]));
    assert_eq!(c.column("exec_poststart"), "'0'");
    for f in ["master_prestart.d/vimage.sh", "master_prestop.d/vimage.sh", "bin/vimage"] {
        assert!(!sys.join(f).exists(), "{f}");
    }
}

#[test]
fn a_mac_for_a_running_jail_goes_straight_into_the_jailnic_row_it_came_from() {
    // CBSD alone started the jail (its eth0 DOWN, with the MAC CBSD picked).
    let c = Cbsd::new();
    ok(&c.cbsd(&["jstart", "jname=web1"]));
    // `vimage set nic_hwaddr=` while it runs: CBSD's jset would only say "on-the-fly
    // currently unimplemented" for the epairb row.
    let o = c.cbsd(&["vimage-set", "jname=web1", "nic_hwaddr=02:00:00:00:00:a1,02:00:00:00:00:a2"]);
    ok(&o);
    assert_eq!(c.jailnic_macs(), ["02:00:00:00:00:a1", "02:00:00:00:00:a2"]);
    // The row lost its MAC; `vimage bridge` by hand takes CBSD's epairs over and writes the MAC
    // it gave eth0 back into that row.
    c.sql_exec(JDB, "UPDATE jailnic SET nic_hwaddr='0' WHERE name='epairb'");
    let o = c.cbsd(&["vimage-bridge", "jname=web1"]);
    ok(&o);
    let eth0 = c.w.kernel().jail_iface("web1", "eth0").unwrap();
    assert!(eth0.up, "{eth0:?}");
    assert_eq!(c.jailnic_macs()[0], eth0.mac.unwrap(), "{}", stdout(&o));
    ok(&c.cbsd(&["jstop", "jname=web1"]));

    // Stopped: through CBSD's own jset.
    let o = c.cbsd(&["vimage-set", "jname=web1", "nic_hwaddr=02:00:00:00:00:b1"]);
    ok(&o);
    assert!(stdout(&o).contains("(cbsd jset)"), "{}", stdout(&o));
    assert_eq!(c.jailnic_macs()[0], "02:00:00:00:00:b1");
}

#[test]
fn a_15x_jailnic_row_of_a_running_jail_gets_its_mac_too() {
    let c = Cbsd::new();
    // web2's table has CBSD 15.x's shape, where jset's "epairb" row does not exist.
    c.w.edit(|k| {
        k.create_jail("web2", "/usr/jails/jails/web2", true).unwrap();
    });
    let o = c.cbsd(&["vimage-set", "jname=web2", "nic_hwaddr=02:00:00:00:00:c1"]);
    ok(&o);
    assert_eq!(
        c.sql("jails-system/web2/local.sqlite", "SELECT nic_hwaddr FROM jailnic WHERE name='eth0'"),
        "02:00:00:00:00:c1"
    );
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
    assert_eq!(c.column("exec_poststart"), "'0'");
    assert!(!c.workdir.join("jails-system/web1/master_prestop.d/vimage.sh").exists());
    assert!(!bin.exists());
}

#[test]
fn hostile_or_damaged_cbsd_data_is_refused_with_the_right_code_and_changes_nothing() {
    let c = Cbsd::new();
    let before = c.w.kernel().snapshot();
    let env = [("workdir", c.workdir.to_str().unwrap())];
    let cases: &[(&str, &str, i32, &str)] = &[
        (JDB, "UPDATE jailnic SET nic_parent='em0;reboot' WHERE name='epairb'", 65, "nic_parent"),
        (JDB, "UPDATE jailnic SET nic_parent='$(reboot)' WHERE name='epairb'", 65, "nic_parent"),
        (JDB, "UPDATE jailnic SET nic_hwaddr='$(reboot)' WHERE name='epairb'", 65, "nic_hwaddr"),
        (JDB, "UPDATE jailnic SET nic_hwaddr='ff:ff:ff:ff:ff:ff' WHERE name='epairb'", 65, "multicast"),
        (JDB, "UPDATE jailnic SET nic_hwaddr='02:00:00:00:00' WHERE name='epairb'", 65, "nic_hwaddr"),
        (JDB, "UPDATE jailnic SET nic_order='x' WHERE name='nic1'", 65, "nic_order"),
        (JDB, "DROP TABLE jailnic", 65, "jailnic"),
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
    std::fs::write(c.workdir.join(JDB), vec![0x42; 2048]).unwrap();
    let o = c.w.vimage_env(&["bridge", "jname=web1"], &env);
    assert_eq!(code(&o), 65, "{}", stderr(&o));
    assert!(stderr(&o).contains("local.sqlite"), "{}", stderr(&o));
    // A missing per-jail database: 69.
    std::fs::remove_file(c.workdir.join(JDB)).unwrap();
    let o = c.w.vimage_env(&["bridge", "jname=web1"], &env);
    assert_eq!(code(&o), 69, "{}", stderr(&o));
    assert_eq!(c.w.kernel().snapshot(), before);
}

#[test]
fn a_cbsd_database_locked_by_a_writer_is_75() {
    let c = Cbsd::new();
    // A writer holding the jails database in the rollback-journal mode CBSD used before WAL:
    // readers wait for it, then give up with 75.
    let db = c.workdir.join(LOCAL);
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

/// sudoexec/jstart for a Linux jail (is_freebsd=0, from elf_tables on ${data}/bin/sh): jail(8)
/// creates it, its exec.poststart runs `vimage bridge`, which takes CBSD's epair over without
/// renaming it, sets its MAC, UP, the address and (route -j) the default route from the host,
/// and writes no rc.conf; CBSD's own move loop finds the epair gone; jstop leaves the host as
/// before (plus CBSD's bridge).
#[test]
fn a_cbsd_linux_jail_is_configured_from_the_host_and_keeps_cbsds_epair_name() {
    let c = Cbsd::linux("192.168.1.60/24", "192.168.1.1");
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    let pristine = c.w.kernel().snapshot();
    c.w.take_log();
    for round in 0..2 {
        let o = c.cbsd(&["jstart", "jname=web1"]);
        ok(&o);
        let log = c.w.take_log();
        let k = c.w.kernel();
        let names: Vec<String> = k.jail_ifnames("web1").into_iter().filter(|n| n != "lo0").collect();
        assert_eq!(names.len(), 1, "round {round}: {names:?}\n{}", all_output(&o));
        let name = &names[0];
        assert!(name.starts_with("epair") && name.ends_with('b'), "round {round}: the kernel's name kept: {name}");
        let nic = k.jail_iface("web1", name).unwrap();
        assert!(nic.up, "round {round}: {nic:?}");
        assert_eq!(nic.mac.as_deref(), Some(c.jailnic_macs()[0].as_str()), "round {round}: the jailnic row's MAC");
        assert_eq!(nic.addrs, ["192.168.1.60/24"], "round {round}");
        let snap = k.snapshot();
        assert_eq!(snap.default_routes.get("web1"), Some(&format!("192.168.1.1 {name}")), "round {round}");
        let host_end = k.host_iface(nic.peer.as_deref().unwrap()).unwrap();
        assert_eq!(host_end.description.as_deref(), Some("web1-eth0"), "round {round}: CBSD's description stays");
        // Inside the jail only its own shell ran (jail(8)'s late_start); vimage's commands
        // are all host-side.
        for l in log.iter().filter(|l| l.starts_with("jexec")) {
            assert!(l.starts_with("jexec web1 /bin/sh"), "round {round}: {l}\n{log:#?}");
        }
        assert!(log.iter().any(|l| l.starts_with("route -j ") && l.ends_with(" add default 192.168.1.1")), "{log:#?}");
        assert!(
            !c.w.root.join(format!("{LINUX_ROOT}/etc/rc.conf").trim_start_matches('/')).exists(),
            "round {round}: no rc.conf in a Linux jail"
        );
        // CBSD's static-address branch reads os-release and writes nothing (jstart l.891-933).
        assert!(stdout(&o).contains("use debian helper for config_eth0"), "{}", all_output(&o));
        let o = c.vimage(&["status", "--json"]);
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(j["jails"][0]["userland"], "linux", "{j}");
        assert_eq!(j["jails"][0]["nics"][0]["name"], name.as_str(), "{j}");

        let o = c.cbsd(&["jstop", "jname=web1"]);
        ok(&o);
        assert!(!all_output(&o).contains("ifconfig:"), "{}", all_output(&o));
        only_cbsds_bridges_added(&pristine, &c.w.kernel().snapshot(), &["em0"]);
    }
}

/// REALDHCP in a CBSD Linux jail: vimage refuses in exec.poststart (nothing of FreeBSD's can
/// run inside), jail(8) removes the jail, CBSD cleans its epair up: nothing is left.
#[test]
fn a_cbsd_linux_jail_with_realdhcp_is_refused_and_nothing_is_left() {
    let c = Cbsd::linux("REALDHCP", "0");
    ok(&c.cbsd(&["vimage-set", "jname=web1", "enable=1"]));
    let pristine = c.w.kernel().snapshot();
    let o = c.cbsd(&["jstart", "jname=web1"]);
    ok(&o);
    let e = stderr(&o);
    assert!(e.contains("REALDHCP") && e.contains("Linux userland") && e.contains("own DHCP client"), "{e}");
    assert!(c.w.kernel().jail_jid("web1").is_none());
    only_cbsds_bridges_added(&pristine, &c.w.kernel().snapshot(), &["em0"]);
}
