//! The "never leak, never clobber" campaign against the simulator, as one table of figures.
//! Run it with `tools/campaign` (which builds the binaries, runs the fuzzers, and passes their
//! totals in); see README.md for the latest figures.
//!
//! Rows: every kernel operation of several setups (and of a service start) made to fail
//! (state must be restored); `kill -9` of vimage at every command of bridge, unbridge, start
//! and stop (gc must repair it and leave no open journal row); rounds of 50 concurrent bridges (no duplicate MAC, name or
//! bridge); hostile inputs (each refused with a usage/data/unavailable code, nothing changed,
//! no panic); admin mistakes (tests/common/mistakes.rs: refused before any change, with the
//! message that says why); fuzz executions (no crash).

#[path = "../tests/common/mod.rs"]
mod common;

use common::World;
use std::collections::BTreeSet;
use std::time::Duration;
use vimage::host::{Host, SimHost};
use vimage::model::{JailName, JailNet, Uplink};
use vimage::ops::Session;
use vimage::paths::Paths;
use vimage::sim::{Errno, Kernel, Sim};

struct Row {
    what: &'static str,
    tried: u64,
    held: u64,
    lost: Vec<String>,
}

fn session<'h>(h: &'h mut dyn Host, root: &std::path::Path) -> vimage::error::Result<Session<'h>> {
    Session::open(h, &Paths::rooted(root), "campaign", false, Duration::from_secs(5))
}

fn net(jail: &str, ups: &[&str]) -> JailNet {
    let u: Vec<Uplink> = ups.iter().map(|x| Uplink::parse(x).unwrap()).collect();
    JailNet::epairs(JailName::parse(jail).unwrap(), &u)
}

/// The host's rc.conf of the private-network scenarios: one network of three jails' size, with
/// an IPv6 gateway and isolated members, so a start runs every network step there is.
const NET_RC: &str = "vimage_net_list=\"jails\"\nvimage_net_jails_cidr=\"10.77.0.0/24\"\n\
                      vimage_net_jails_cidr6=\"fd00:77::/64\"\nvimage_net_jails_private=\"YES\"\n\
                      vimage_net_jails_nat=\"0\"\n";

/// The same network with NAT (`nat=auto`, the default: em0, the default route's interface):
/// a start also loads the anchor `vimage/jails` and turns IP forwarding on.
const NAT_RC: &str = "vimage_net_list=\"jails\"\nvimage_net_jails_cidr=\"10.77.0.0/24\"\n";

/// The demo host with pf loaded and a main ruleset that references vimage's anchors, as
/// `vimage doctor fix=1 pf=1` leaves it.
fn pf_kernel() -> Kernel {
    use vimage::host::{Cmd, Program};
    let mut k = Kernel::demo();
    k.load_module("pf");
    let mut h = SimHost::new(Sim::new(k));
    let conf = "nat-anchor \"vimage/*\"\nrdr-anchor \"vimage/*\"\nanchor \"vimage/*\"\n";
    let out = h.run(&Cmd::new(Program::Pfctl, ["-f", "-"]).with_stdin(conf)).unwrap();
    assert!(out.ok(), "{out:?}");
    h.sim().kernel.clone()
}

/// One fault setup: its name, the kernel, the jails bridged first, the jail under test, and
/// the host's rc.conf (private networks are defined there), if any.
type FaultScenario = (&'static str, Kernel, Vec<JailNet>, JailNet, Option<&'static str>);

/// Setups whose every kernel operation is made to fail.
fn fault_scenarios() -> Vec<FaultScenario> {
    let mut two = Kernel::demo();
    two.add_ether("em1", "00:1b:21:aa:bb:cd", 9000);
    let mut second = Kernel::demo();
    second.create_jail("web2", "/j/web2", true).unwrap();
    let mut foreign = Sim::new(Kernel::demo());
    let args: Vec<String> =
        ["bridge", "create", "description", "em0", "addm", "em0", "up"].iter().map(|s| s.to_string()).collect();
    foreign.exec("ifconfig", &args);
    let mut mixed_k = Kernel::demo();
    mixed_k.add_ether("em2", "00:1b:21:aa:bb:ce", 1500);
    let mut mixed = net("web1", &["em0"]);
    mixed.add_netgraph(&[Uplink::parse("em0").unwrap(), Uplink::parse("em0").unwrap()]);
    mixed.add_passthrough(&[vimage::model::IfName::parse("em2").unwrap()]);
    let mut ng_second = Kernel::demo();
    ng_second.create_jail("web2", "/j/web2", true).unwrap();
    let mut ng1 = JailNet::epairs(JailName::parse("web1").unwrap(), &[]);
    ng1.add_netgraph(&[Uplink::parse("em0").unwrap()]);
    let mut ng2 = JailNet::epairs(JailName::parse("web2").unwrap(), &[]);
    ng2.add_netgraph(&[Uplink::parse("em0").unwrap()]);
    let mut net_second = Kernel::demo();
    net_second.create_jail("web2", "/j/web2", true).unwrap();
    vec![
        ("one NIC, new bridge", Kernel::demo(), vec![], net("web1", &["auto"]), None),
        ("epair + two netgraph + passthrough", mixed_k, vec![], mixed, None),
        ("second jail on vimage's ng_bridge", ng_second, vec![ng1], ng2, None),
        ("two NICs, two uplinks", two, vec![], net("web1", &["em0", "em1"]), None),
        ("second jail on vimage's bridge", second, vec![net("web1", &["em0"])], net("web2", &["em0"]), None),
        ("CBSD-style bridge reused", foreign.kernel, vec![], net("web1", &["em0"]), None),
        ("first jail on a private network", Kernel::demo(), vec![], net("web1", &["net:jails"]), Some(NET_RC)),
        (
            "second jail on a private network",
            net_second,
            vec![net("web1", &["net:jails"])],
            net("web2", &["net:jails"]),
            Some(NET_RC),
        ),
        (
            "first jail on a NAT network (pf anchor, forwarding)",
            pf_kernel(),
            vec![],
            net("web1", &["net:jails"]),
            Some(NAT_RC),
        ),
    ]
}

fn faults() -> Row {
    let mut row = Row { what: "kernel faults injected / states restored", tried: 0, held: 0, lost: vec![] };
    for (name, kernel, pre, n, rc) in fault_scenarios() {
        let prepare = |root: &std::path::Path| {
            if let Some(rc) = rc {
                std::fs::create_dir_all(root.join("etc")).unwrap();
                std::fs::write(root.join("etc/rc.conf"), rc).unwrap();
                // A pool address is written to the jail's rc.conf too, which must be there.
                for jail_etc in ["usr/jails/jails/web1/etc", "j/web2/etc"] {
                    std::fs::create_dir_all(root.join(jail_etc)).unwrap();
                }
            }
            let mut h = SimHost::new(Sim::new(kernel.clone()));
            for p in &pre {
                session(&mut h, root).unwrap().bridge(p).unwrap();
            }
            h
        };
        let dir = tempfile::tempdir().unwrap();
        let mut h = prepare(dir.path());
        let ops0 = h.sim().kernel.ops_done();
        session(&mut h, dir.path()).unwrap().bridge(&n).unwrap();
        let total = h.sim().kernel.ops_done() - ops0;
        for k in 1..=total {
            row.tried += 1;
            let dir = tempfile::tempdir().unwrap();
            let mut h = prepare(dir.path());
            // pf's rulesets are not in the snapshot; a NAT network's start changes them too.
            let state = |h: &SimHost| (h.sim().kernel.snapshot(), h.sim().kernel.host_pf().cloned());
            let before = state(&h);
            h.sim_mut().kernel.fail_at(k, Errno::EIO);
            let failed = session(&mut h, dir.path()).and_then(|mut s| s.bridge(&n)).is_err();
            let restored = state(&h) == before;
            let retry = session(&mut h, dir.path()).and_then(|mut s| s.bridge(&n)).is_ok();
            if failed && restored && retry {
                row.held += 1;
            } else {
                row.lost.push(format!("{name}: op {k}: failed={failed} restored={restored} retry={retry}"));
            }
        }
    }
    row
}

/// One kill scenario: the command killed, what runs before it, and what takes the host back
/// to where it started once gc has repaired the kill.
struct KillCase {
    args: &'static [&'static str],
    setup: &'static [&'static [&'static str]],
    finish: &'static [&'static str],
}

const RC_CONF: &str = "vimage_list=\"web3\"\nvimage_web3_rootdir=\"/vm/web3\"\nvimage_web3_epairs=\"em0\"\n";

fn kill_world() -> World {
    let w = World::demo();
    std::fs::create_dir_all(w.root.join("etc")).unwrap();
    std::fs::write(w.root.join("etc/rc.conf"), RC_CONF).unwrap();
    w
}

/// Every kernel operation of a standalone-service start made to fail in turn.
fn start_faults(row: &mut Row) {
    let mut v = vimage::rcd::vars::Vars::default();
    v.read(RC_CONF);
    let conf = vimage::rcd::vimage(&v, "web3").unwrap();
    let start = |h: &mut SimHost, root: &std::path::Path| session(h, root).and_then(|mut s| s.start(&conf).map(|_| ()));
    let dir = tempfile::tempdir().unwrap();
    let mut h = SimHost::new(Sim::new(Kernel::demo()));
    let ops0 = h.sim().kernel.ops_done();
    start(&mut h, dir.path()).unwrap();
    let total = h.sim().kernel.ops_done() - ops0;
    for k in 1..=total {
        row.tried += 1;
        let dir = tempfile::tempdir().unwrap();
        let mut h = SimHost::new(Sim::new(Kernel::demo()));
        let before = h.sim().kernel.snapshot();
        h.sim_mut().kernel.fail_at(k, Errno::EIO);
        let failed = start(&mut h, dir.path()).is_err();
        let restored = h.sim().kernel.snapshot() == before;
        let retry = start(&mut h, dir.path()).is_ok();
        if failed && restored && retry {
            row.held += 1;
        } else {
            row.lost.push(format!("service start: op {k}: failed={failed} restored={restored} retry={retry}"));
        }
    }
}

fn kills() -> Row {
    let mut row = Row { what: "kill -9 at every command / repaired (gc)", tried: 0, held: 0, lost: vec![] };
    let cases = [
        KillCase { args: &["bridge", "jname=web1"], setup: &[], finish: &["unbridge", "jname=web1"] },
        KillCase {
            args: &["unbridge", "jname=web1"],
            setup: &[&["bridge", "jname=web1"]],
            finish: &["unbridge", "jname=web1"],
        },
        KillCase {
            args: &["bridge", "jname=web1", "bridges=em0 em0"],
            setup: &[],
            finish: &["unbridge", "jname=web1"],
        },
        KillCase {
            args: &["unbridge", "jname=web1"],
            setup: &[&["bridge", "jname=web1", "bridges=em0 em0"]],
            finish: &["unbridge", "jname=web1"],
        },
        KillCase {
            args: &["bridge", "jname=web1", "interface=net:jails"],
            setup: &[&["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0", "private=1"]],
            finish: &["unbridge", "jname=web1"],
        },
        KillCase {
            args: &["unbridge", "jname=web1"],
            setup: &[
                &["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0", "private=1"],
                &["bridge", "jname=web1", "interface=net:jails"],
            ],
            finish: &["unbridge", "jname=web1"],
        },
        KillCase { args: &["start", "web3"], setup: &[], finish: &["stop", "web3"] },
        KillCase { args: &["stop", "web3"], setup: &[&["start", "web3"]], finish: &["stop", "web3"] },
    ];
    for case in &cases {
        // How many commands does a clean run take?
        let probe = kill_world();
        for s in case.setup {
            probe.vimage(s);
        }
        probe.take_log();
        probe.vimage(case.args);
        let n = probe.take_log().len();
        for k in 1..=n {
            row.tried += 1;
            let w = kill_world();
            let before = w.kernel().snapshot();
            for s in case.setup {
                w.vimage(s);
            }
            // Killed before its first change, a run leaves the host as it found it.
            let untouched = w.kernel().snapshot();
            let _ = std::fs::remove_file(&w.log);
            let mut child = w.spawn(case.args, 20);
            let t = std::time::Instant::now();
            while w.log_len() < k && t.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(2));
            }
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(60));
            let gc = w.vimage(&["gc"]);
            let open = vimage::state::StateDb::open(&w.state_db()).map(|db| db.unfinished_runs().map(|r| r.len()));
            let after = w.kernel().snapshot();
            // gc leaves either nothing done or all undone, never a half; finishing the action
            // then brings the host back to where it started.
            let whole = after == before || after == untouched;
            let finished = w.vimage(case.finish).status.success();
            let clean = gc.status.success()
                && whole
                && finished
                && w.kernel().snapshot() == before
                && matches!(open, Ok(Ok(0)));
            if clean {
                row.held += 1;
            } else {
                row.lost.push(format!(
                    "{} (after {:?}) killed at command {k}: gc exit {:?}, whole={whole} finished={finished} open={open:?}",
                    case.args.join(" "),
                    case.setup,
                    gc.status.code()
                ));
            }
        }
    }
    row
}

fn concurrency(rounds: u32) -> Row {
    let mut row = Row { what: "concurrent bridges / no collision", tried: 0, held: 0, lost: vec![] };
    for r in 0..rounds {
        let w = World::demo();
        let names: Vec<String> = (0..50).map(|i| format!("r{r}j{i}")).collect();
        w.edit(|k| {
            for n in &names {
                k.create_jail(n, &format!("/j/{n}"), true).unwrap();
            }
        });
        let kids: Vec<_> = names.iter().map(|n| w.spawn(&["bridge", &format!("jname={n}")], 0)).collect();
        let ok: Vec<bool> =
            kids.into_iter().map(|c| c.wait_with_output().map(|o| o.status.success()).unwrap_or(false)).collect();
        let k = w.kernel();
        let mut macs = BTreeSet::new();
        for (n, ok) in names.iter().zip(ok) {
            row.tried += 1;
            match k.jail_iface(n, "eth0") {
                Some(e) if ok && e.up && e.mac.clone().is_some_and(|m| macs.insert(m)) => row.held += 1,
                _ => row.lost.push(format!("round {r}: {n} collided or failed")),
            }
        }
        let bridges = k.host_ifnames().into_iter().filter(|n| n.starts_with("bridge")).count();
        if bridges != 1 {
            row.lost.push(format!("round {r}: {bridges} bridges for one uplink"));
        }
    }
    row
}

/// Hostile inputs: each must be refused with 64, 65, 69 or 75, say why, change nothing.
fn bad_inputs() -> Row {
    let mut row = Row { what: "hostile inputs / clean refusals", tried: 0, held: 0, lost: vec![] };
    let long = "x".repeat(300);
    let cases: Vec<Vec<String>> = [
        vec!["bridge", "jname=web1;reboot"],
        vec!["bridge", "jname=$(reboot)"],
        vec!["bridge", "jname=`id`"],
        vec!["bridge", "jname=web 1"],
        vec!["bridge", "jname=wéb1"],
        vec!["bridge", "jname=ジェイル"],
        vec!["bridge", "jname=../../etc"],
        vec!["bridge", "jname=web1\nreboot"],
        vec!["bridge", "jname="],
        vec!["bridge", "jname=-rf"],
        vec!["bridge", "jname=12345"],
        vec!["bridge", &format!("jname={long}")],
        vec!["bridge", "jname=web1", "interface=em0;reboot"],
        vec!["bridge", "jname=web1", "interface=$(id)"],
        vec!["bridge", "jname=web1", "interface=em0,em1,em2", "ifname=a,b"],
        vec!["bridge", "jname=web1", "ifname=eth0_is_too_long"],
        vec!["bridge", "jname=web1", "ifname=0eth"],
        vec!["bridge", "jname=web1", "ifname=eth0,eth0"],
        vec!["bridge", "jname=web1", "mac=ff:ff:ff:ff:ff:ff"],
        vec!["bridge", "jname=web1", "mac=01:00:5e:00:00:01"],
        vec!["bridge", "jname=web1", "mac=00:00:00:00:00:00"],
        vec!["bridge", "jname=web1", "mac=zz:zz:zz:zz:zz:zz"],
        vec!["bridge", "jname=web1", "mac=02:00:00:00:00"],
        vec!["bridge", "jname=web1", "interface=nosuch0"],
        vec!["bridge", "jname=nosuch"],
        vec!["bridge", "jname=web1", "bogus=1"],
        vec!["bridge", "jname=web1", "--bogus"],
        vec!["bridge", "jname=web1", "jname=web2"],
        vec!["bridge", "--jname"],
        vec!["bridge", "web1", "web2"],
        vec!["nosuchverb"],
        vec!["--nosuchflag"],
        vec!["unbridge", "jname=a|b"],
        vec!["status", "jname=a b"],
        vec!["doctor", "fix=1", "extra=2"],
        vec!["gc", "jname=web1"],
    ]
    .iter()
    .map(|v| v.iter().map(|s| s.to_string()).collect())
    .collect();
    let w = World::demo();
    let before = w.kernel().snapshot();
    for c in &cases {
        row.tried += 1;
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        let o = w.vimage(&args);
        let code = o.status.code().unwrap_or(-1);
        let err = String::from_utf8_lossy(&o.stderr);
        let clean = [64, 65, 69, 75].contains(&code)
            && err.starts_with("vimage: ")
            && !err.contains("panicked")
            && w.kernel().snapshot() == before;
        if clean {
            row.held += 1;
        } else {
            row.lost.push(format!("{args:?}: exit {code}: {}", err.trim()));
        }
    }
    // Hostile values in CBSD's databases, which vimage reads when run under a CBSD workdir.
    let jdb = "jails-system/web1/local.sqlite";
    for (db, sql) in [
        (jdb, "UPDATE jailnic SET nic_parent='em0;reboot' WHERE name='epairb'"),
        (jdb, "UPDATE jailnic SET nic_parent='$(reboot)' WHERE name='epairb'"),
        (jdb, "UPDATE jailnic SET nic_hwaddr='`reboot`' WHERE name='epairb'"),
        (jdb, "UPDATE jailnic SET nic_hwaddr='ff:ff:ff:ff:ff:ff' WHERE name='epairb'"),
        (jdb, "UPDATE jailnic SET nic_order='x' WHERE name='nic1'"),
        (jdb, "DROP TABLE jailnic"),
        ("var/db/local.sqlite", "UPDATE jails SET devfs_ruleset='5; reboot' WHERE jname='web1'"),
    ] {
        row.tried += 1;
        let w = World::new(Kernel::demo());
        let wd = w.path().join("cbsd");
        let spec = vimage_testkit::fixture::FixtureSpec::from_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cbsd"),
        )
        .unwrap();
        vimage_testkit::fixture::build_workdir(&wd, &spec).unwrap();
        let applied =
            std::process::Command::new("sqlite3").arg(wd.join(db)).arg(sql).status().is_ok_and(|s| s.success());
        let before = w.kernel().snapshot();
        let o = w.vimage_env(&["bridge", "jname=web1"], &[("workdir", wd.to_str().unwrap())]);
        let code = o.status.code().unwrap_or(-1);
        let err = String::from_utf8_lossy(&o.stderr);
        if applied && [64, 65, 69, 75].contains(&code) && !err.contains("panicked") && w.kernel().snapshot() == before {
            row.held += 1;
        } else {
            row.lost.push(format!("CBSD {sql}: exit {code}: {}", err.trim()));
        }
    }
    // A damaged state database.
    row.tried += 1;
    let w = World::demo();
    std::fs::create_dir_all(w.state_db().parent().unwrap()).unwrap();
    std::fs::write(w.state_db(), vec![0x5a; 4096]).unwrap();
    let o = w.vimage(&["bridge", "jname=web1"]);
    if o.status.code() == Some(65) && w.kernel().snapshot() == before {
        row.held += 1;
    } else {
        row.lost.push(format!("damaged state DB: exit {:?}", o.status.code()));
    }
    row
}

/// Admin mistakes (issue 12 "must refuse, before any change": items 1-5 and 9, and whatever
/// `tests/common/mistakes.rs` lists): each refused with its sysexits code and a message saying
/// what is wrong, the simulated kernel unchanged.
fn admin_mistakes() -> Row {
    let mut row = Row { what: "admin mistakes / refused before any change", tried: 0, held: 0, lost: vec![] };
    for m in common::mistakes::cases() {
        row.tried += 1;
        match common::mistakes::run(&m) {
            Ok(()) => row.held += 1,
            Err(e) => row.lost.push(e),
        }
    }
    row
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg =
        |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).and_then(|v| v.parse::<u64>().ok());
    let quick = args.iter().any(|a| a == "--quick");
    let mut f = faults();
    start_faults(&mut f);
    let mut rows = vec![f, kills(), concurrency(if quick { 1 } else { 3 }), bad_inputs(), admin_mistakes()];
    if let (Some(execs), Some(crashes)) = (arg("--fuzz-execs"), arg("--fuzz-crashes")) {
        let lost = if crashes == 0 { vec![] } else { vec![format!("{crashes} fuzz target(s) crashed")] };
        rows.push(Row { what: "fuzz executions / no crash", tried: execs, held: execs - crashes.min(execs), lost });
    }
    println!("{:<46} {:>9} {:>9}  result", "campaign (against the simulated FreeBSD host)", "tried", "held");
    let mut bad = false;
    for r in &rows {
        let result = if r.lost.is_empty() { "nothing lost".to_string() } else { format!("LOST {}", r.lost.len()) };
        println!("{:<46} {:>9} {:>9}  {result}", r.what, r.tried, r.held);
        for l in &r.lost {
            println!("    {l}");
            bad = true;
        }
    }
    std::process::exit(if bad { 1 } else { 0 });
}
