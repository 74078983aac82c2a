//! What vimage prints, and that printing can never break a command: a closed stdout, a
//! non-UTF-8 argument, `-q`, lines printed as each step completes, stored MACs shown before
//! and between starts. The real binary against fbsd-sim; the simulated kernel is checked after
//! every command that changes it.

mod common;

use common::{World, code, stderr, stdout};
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStringExt;
use std::process::{Command, Output, Stdio};

const RC_CONF: &str =
    "vimage_enable=\"YES\"\nvimage_list=\"web2\"\nvimage_web2_rootdir=\"/vm/web2\"\nvimage_web2_epairs=\"em0\"\n";

/// `vimage <args>` against `w`, as World::vimage runs it, but with `stdout` as given.
fn vimage(w: &World, args: &[OsString], out: Stdio) -> Command {
    let mut c = w.command(args);
    c.stdin(Stdio::null()).stdout(out).stderr(Stdio::piped());
    c
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (r, w) = std::io::pipe().unwrap();
    drop(r);
    w.into()
}

fn with_closed_stdout(w: &World, args: &[&str]) -> Output {
    vimage(w, &os(args), closed_pipe()).output().unwrap()
}

fn world() -> World {
    let w = World::demo();
    w.put_host_file("/etc/rc.conf", RC_CONF);
    w
}

/// Every command, in an order where each succeeds: (argv, what the kernel must show after).
fn every_verb(tmp: &std::path::Path) -> Vec<Vec<String>> {
    let jconf = tmp.join("web5.jconf").display().to_string();
    let v: Vec<Vec<&str>> = vec![
        vec!["--man"],
        vec!["--help"],
        vec!["--version"],
        vec!["bridge", "--help"],
        vec!["bridge", "jname=web1", "--dry-run"],
        vec!["bridge", "jname=web1"],
        vec!["bridge", "jname=web1", "--json"],
        vec!["devfs", "jname=web1"],
        vec!["status"],
        vec!["status", "--json"],
        vec!["status", "--dot"],
        vec!["set", "jname=web1", "interface=em0"],
        vec!["doctor"],
        vec!["start", "web2"],
        vec!["stop", "web2"],
        vec!["gc"],
        vec!["net", "create", "name=jails", "cidr=10.77.0.0/24", "nat=0"],
        vec!["net", "list"],
        vec!["net", "list", "--json"],
        vec!["net", "release", "jname=web1"],
        vec!["net", "destroy", "name=jails"],
        vec!["expose", "--help"],
        vec!["unexpose", "jname=web1", "port=80"],
        vec!["unbridge", "jname=web1"],
        vec!["construct", "jname=web5", "create=0"],
        vec!["demo"],
        vec!["version"],
        vec!["version", "--json"],
    ];
    let mut out: Vec<Vec<String>> = v.into_iter().map(|a| a.into_iter().map(str::to_string).collect()).collect();
    out.iter_mut().filter(|a| a[0] == "construct").for_each(|a| a.push(format!("out={jconf}")));
    // Every verb of the command table is in the list.
    for vs in vimage::cli::spec::VERBS {
        assert!(out.iter().any(|a| a[0] == vs.name), "{} is not tried", vs.name);
    }
    out
}

/// Runs every verb with `how`, checking the kernel after bridge (eth0 in web1) and unbridge
/// (gone again); returns each run's argv and output.
fn run_every_verb(how: &dyn Fn(&World, &[&str]) -> Output) -> Vec<(Vec<String>, Output)> {
    let w = world();
    let before = w.kernel().snapshot();
    let mut runs = Vec::new();
    for argv in every_verb(w.path()) {
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        let o = how(&w, &args);
        match args.as_slice() {
            ["bridge", "jname=web1"] => assert!(w.kernel().jail_iface("web1", "eth0").is_some(), "{args:?} bridged"),
            ["unbridge", ..] => assert_eq!(w.kernel().snapshot().interfaces, before.interfaces, "{args:?}"),
            ["start", ..] => assert!(w.kernel().jail_jid("web2").is_some(), "{args:?}"),
            ["stop", ..] => assert!(w.kernel().jail_jid("web2").is_none(), "{args:?}"),
            _ => {}
        }
        runs.push((argv, o));
    }
    runs
}

#[test]
fn every_verb_with_stdout_closed_ends_quietly_and_still_does_its_job() {
    for (argv, o) in run_every_verb(&with_closed_stdout) {
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{argv:?} panicked: {err}");
        assert_eq!(code(&o), 0, "{argv:?}: a closed stdout does not change the exit status: {err}");
        assert_eq!(err, "", "{argv:?}: a closed stdout ends the output without a word");
    }
}

#[test]
fn a_full_stdout_is_exit_74_after_the_job_is_done() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("SKIP: no /dev/full on this system");
        return;
    };
    let w = World::demo();
    let o = vimage(&w, &os(&["bridge", "jname=web1"]), full.into()).output().unwrap();
    assert_eq!(code(&o), 74, "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write standard output"), "{}", stderr(&o));
    assert!(w.kernel().jail_iface("web1", "eth0").is_some(), "the bridge itself was done");
}

#[test]
fn quiet_prints_nothing_on_success_for_every_verb() {
    let first = std::cell::Cell::new(false);
    let quiet = |w: &World, args: &[&str]| {
        // -q before the verb (a global option) and after it, in turn.
        let mut a: Vec<&str> = args.to_vec();
        first.set(!first.get());
        let at = if first.get() || a[0].starts_with('-') { 0 } else { 1 };
        a.insert(at, "-q");
        let o = vimage(w, &os(&a), Stdio::piped()).output().unwrap();
        assert_eq!(code(&o), 0, "{a:?}: {}", stderr(&o));
        o
    };
    for (argv, o) in run_every_verb(&quiet) {
        let meta = ["--man", "--help", "--version"].iter().any(|m| argv.iter().any(|a| a == m));
        if meta {
            assert!(!stdout(&o).is_empty(), "{argv:?}: asked for text, gets it under -q too");
        } else {
            assert_eq!(stdout(&o), "", "{argv:?} -q printed on stdout");
        }
        assert_eq!(stderr(&o), "", "{argv:?}");
    }
    // An error under -q: nothing on stdout, the error on stderr, nothing changed.
    let w = World::demo();
    let snap = w.kernel().snapshot();
    let o = w.vimage(&["bridge", "-q", "jname=nosuch"]);
    assert_eq!(code(&o), 69);
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("jail nosuch"), "{}", stderr(&o));
    assert_eq!(w.kernel().snapshot(), snap);
}

#[test]
fn a_non_utf8_argument_is_exit_64_naming_it_and_the_byte() {
    let w = World::demo();
    let snap = w.kernel().snapshot();
    let args = vec![OsString::from("bridge"), OsString::from_vec(b"jname=\xff".to_vec())];
    let o = vimage(&w, &args, Stdio::piped()).output().unwrap();
    assert_eq!(code(&o), 64, "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("vimage: argument 2 \"jname=\\xff\" is not valid UTF-8 at byte offset 6 (byte 0xff)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    assert_eq!(w.take_log(), Vec::<String>::new(), "no command ran");
    assert_eq!(w.kernel().snapshot(), snap);
    // Under --json, the error document too.
    let args = vec![OsString::from("status"), OsString::from("--json"), OsString::from_vec(b"j\xc3".to_vec())];
    let o = vimage(&w, &args, Stdio::piped()).output().unwrap();
    assert_eq!(code(&o), 64);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("argument 3"), "{v}");
    // And a CBSD-style preset in the environment.
    let mut c = vimage(&w, &os(&["bridge"]), Stdio::piped());
    c.env("H_CBSD_jname", OsString::from_vec(b"web\x801".to_vec()));
    let o = c.output().unwrap();
    assert_eq!(code(&o), 64, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("environment variable H_CBSD_jname \"web\\x801\" is not valid UTF-8"),
        "{}",
        stderr(&o)
    );
    assert_eq!(w.kernel().snapshot(), snap);
}

/// A host that, once the kernel part of a run has begun (its first `… create`), turns the
/// directory of the jail's rc.conf into a file: the file step then fails after every kernel
/// step succeeded, although `bridge`'s check before any change found the file writable.
struct LosesTheRcDir {
    sim: vimage::host::SimHost,
    dir: std::path::PathBuf,
    done: bool,
}

impl vimage::host::Host for LosesTheRcDir {
    fn run(&mut self, cmd: &vimage::host::Cmd) -> Result<vimage::host::Output, vimage::host::SpawnError> {
        let o = self.sim.run(cmd);
        if !self.done && cmd.args.iter().any(|a| a == "create") {
            self.done = true;
            std::fs::remove_dir_all(&self.dir).unwrap();
            std::fs::write(&self.dir, "").unwrap();
        }
        o
    }
}

#[test]
fn the_lines_naming_a_new_nic_are_printed_even_when_a_later_file_write_fails() {
    // A file that is unwritable from the start is refused before any change (tests/
    // e2e_damaged_files.rs); one that becomes unwritable while the kernel part runs fails
    // after it, and what was done by then has been printed.
    use vimage::cli::{Ctx, Out, run_to};
    let dir = tempfile::tempdir().unwrap();
    // rcconf= is a host path, under VIMAGE_ROOT.
    let etc = dir.path().join("root/jail-etc");
    std::fs::create_dir_all(&etc).unwrap();
    let rc = "/jail-etc/rc.conf";
    let mut host = LosesTheRcDir {
        sim: vimage::host::SimHost::new(vimage::sim::Sim::new(vimage::sim::Kernel::demo())),
        dir: etc.clone(),
        done: false,
    };
    let paths = vimage::paths::Paths { root: dir.path().join("root"), workdir: None };
    let mut ctx = Ctx { paths, host: &mut host, lock_timeout: std::time::Duration::from_secs(5) };
    let argv: Vec<String> = ["vimage", "bridge", "jname=web1", "ip4_addr=10.0.0.5/24", &format!("rcconf={rc}")]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = Out::capture();
    let e = run_to(&argv, &mut ctx, &out).expect_err("the rc.conf edit fails");
    assert_eq!(e.kind.exit_code(), 73, "{e}");
    assert!(host.done, "the directory went away during the kernel part: {e}");
    let k = &host.sim.sim().kernel;
    let eth0 = k.jail_iface("web1", "eth0").expect("the kernel part is done and kept");
    let host_end = k.host_ifnames().into_iter().find(|n| n.starts_with("epair")).unwrap();
    let printed = out.stdout();
    assert!(
        printed.contains(&format!(
            "jail web1: eth0 is up: host end {host_end} on bridge0 (uplink em0), MAC {}",
            eth0.mac.clone().unwrap()
        )),
        "{printed}"
    );
    assert!(e.to_string().contains(rc), "the error names the file: {e}");
}

#[test]
fn each_line_is_printed_when_its_step_is_done_not_at_the_end() {
    let w = world();
    // Every simulated command takes 300 ms; the line for `jail -c` must arrive while the
    // rest of the start is still running.
    let mut c = vimage(&w, &os(&["start", "web2"]), Stdio::piped());
    c.env("FBSD_SIM_DELAY_MS", "300");
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = loop {
        let l = lines.next().expect("a line").unwrap();
        if l.contains("ran jail -c") {
            break l;
        }
    };
    let at = std::time::Instant::now();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success());
    // After `jail -c` come the network's queries and changes and exec_start: at least five
    // more commands of 300 ms each, so a line printed when its step is done arrives long
    // before the end; one held until the end arrives with it.
    let waited = at.elapsed();
    assert!(waited >= std::time::Duration::from_millis(1500), "{first:?} came only {waited:?} before the end");
    assert_eq!(rest.last().map(String::as_str), Some("jail web2: started"), "{rest:?}");
    assert!(w.kernel().jail_iface("web2", "eth0").is_some());
}

#[test]
fn a_stored_mac_is_shown_by_status_and_set_between_starts() {
    let w = World::demo();
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    let mac = w.kernel().jail_iface("web1", "eth0").unwrap().mac.unwrap();
    assert_eq!(code(&w.vimage(&["unbridge", "jname=web1"])), 0);
    assert!(w.kernel().jail_iface("web1", "eth0").is_none());

    let o = w.vimage(&["status", "jname=web1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let row = stdout(&o).lines().find(|l| l.starts_with("web1")).map(str::to_string).unwrap_or_default();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols, ["web1", "1", "eth0", "epair", "-", mac.as_str(), "-", "em0", "stored"], "{}", stdout(&o));
    let o = w.vimage(&["status", "jname=web1", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let n = &v["jails"][0]["nics"][0];
    assert_eq!(
        (n["state"].as_str(), n["mac"].as_str(), n["uplink"].as_str()),
        (Some("stored"), Some(&*mac), Some("em0"))
    );
    assert!(n["host_if"].is_null(), "{v}");
    // The whole status shows it too while the jail runs.
    assert!(stdout(&w.vimage(&["status"])).contains(&mac));

    let o = w.vimage(&["set", "jname=web1"]);
    assert!(stdout(&o).contains(&format!("nic 0: eth0 MAC {mac} uplink em0 (stored")), "{}", stdout(&o));
    let o = w.vimage(&["set", "jname=web1", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["nics"][0]["mac"], mac.as_str());
    assert_eq!(v["nics"][0]["attached"], false);

    // And the next start gives exactly that MAC.
    assert_eq!(code(&w.vimage(&["bridge", "jname=web1"])), 0);
    assert_eq!(w.kernel().jail_iface("web1", "eth0").unwrap().mac.unwrap(), mac);
    let v: serde_json::Value = serde_json::from_slice(&w.vimage(&["status", "jname=web1", "--json"]).stdout).unwrap();
    assert_eq!(v["jails"][0]["nics"].as_array().unwrap().len(), 1, "attached now, not listed twice: {v}");
    assert_eq!(v["jails"][0]["nics"][0]["state"], "up");
}

#[test]
fn a_cbsd_jail_made_a_vimage_jail_shows_the_mac_it_will_get_before_its_first_start() {
    use vimage::cli::{Ctx, run};
    use vimage_testkit::fixture::{FixtureSpec, build_workdir};
    let dir = tempfile::tempdir().unwrap();
    let spec =
        FixtureSpec::from_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cbsd")).unwrap();
    let wd = build_workdir(&dir.path().join("cbsd"), &spec).unwrap();
    let mut host = vimage::host::SimHost::new(vimage::sim::Sim::new(vimage::sim::Kernel::demo()));
    let paths = vimage::paths::Paths { root: dir.path().join("root"), workdir: Some(wd.root().to_path_buf()) };
    let mut ctx = Ctx { paths, host: &mut host, lock_timeout: std::time::Duration::from_secs(5) };
    let argv = |a: &[&str]| -> Vec<String> { a.iter().map(|s| s.to_string()).collect() };
    // web2 in the fixture is stopped (jls knows only web1): nothing of it is attached.
    let o = run(&argv(&["vimage", "set", "jname=web2", "enable=1", "--json"]), &mut ctx).unwrap();
    let set: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let o = run(&argv(&["vimage", "status", "jname=web2", "--json"]), &mut ctx).unwrap();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let nics = v["jails"][0]["nics"].as_array().unwrap();
    assert!(!nics.is_empty(), "{v}");
    assert_eq!(nics.len(), set["nics"].as_array().unwrap().len(), "{v} {set}");
    for (n, s) in nics.iter().zip(set["nics"].as_array().unwrap()) {
        assert_eq!(n["state"], "stored", "{v}");
        assert_eq!(n["mac"], s["mac"], "status and set agree: {v} {set}");
        assert!(n["name"].is_string() && n["uplink"].is_string(), "CBSD's row gives name and uplink: {v}");
    }
    assert!(host.sim().kernel.jail_jid("web2").is_none(), "nothing was started");
}

#[test]
fn doctor_says_why_vimage_cannot_work_on_stderr_even_under_q() {
    let w = World::demo();
    w.edit(|k| k.set_vimage(false));
    for args in [&["doctor", "-q"][..], &["doctor"], &["doctor", "--json"]] {
        let o = w.vimage(args);
        assert_eq!(code(&o), 69, "{args:?}");
        assert!(
            stderr(&o).contains("cannot work on this host") && stderr(&o).contains("VIMAGE"),
            "{args:?}: {}",
            stderr(&o)
        );
        if args.len() == 2 && args[1] == "-q" {
            assert_eq!(stdout(&o), "", "-q: the report is not printed");
        }
    }
}
