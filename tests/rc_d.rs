//! share/rc.d/vimage, run on Linux by sh(1) with a stand-in rc.subr and a recording `vimage`:
//! for a given rc.conf the right invocations happen, in the right order.

mod common;

use std::path::Path;
use std::process::Command;

const SCRIPT: &str = "share/rc.d/vimage";

/// Runs `sh vimage ARGS` with `rc_conf` and an executable recording stub as `vimage`; returns
/// (its invocations, stdout, stderr), asserting the script succeeded.
fn run(rc_conf: &str, args: &[&str]) -> (Vec<String>, String, String) {
    let (calls, out, err, ok) = run_stub(rc_conf, args, "");
    assert!(ok, "{err}");
    (calls, out, err)
}

/// [`run`] with `stub` (sh) run by the recording `vimage` after it records its call, and the
/// script's success as the fourth value.
fn run_stub(rc_conf: &str, args: &[&str], stub_body: &str) -> (Vec<String>, String, String, bool) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let subr = root.join("tests/fixtures/rc/rc.subr");
    let script =
        std::fs::read_to_string(root.join(SCRIPT)).unwrap().replace(". /etc/rc.subr", &format!(". {}", subr.display()));
    let sp = dir.path().join("vimage.rc");
    std::fs::write(&sp, script).unwrap();
    let rec = dir.path().join("calls");
    let stub = dir.path().join("vimage-stub");
    std::fs::write(&stub, format!("#!/bin/sh\necho \"$*\" >> {}\n{stub_body}\n", rec.display())).unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = dir.path().join("rc.conf");
    std::fs::write(&conf, format!("{rc_conf}\nvimage_program=\"{}\"\n", stub.display())).unwrap();
    let o = Command::new("sh").arg(&sp).args(args).env("TEST_RC_CONF", &conf).output().unwrap();
    let calls = std::fs::read_to_string(&rec).unwrap_or_default().lines().map(str::to_string).collect();
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    (calls, out, err, o.status.success())
}

const ON: &str = "vimage_enable=\"YES\"\nvimage_list=\"web1 db mail\"";

#[test]
fn sh_n_is_clean() {
    let o = Command::new("sh").args(["-n", SCRIPT]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn start_sweeps_then_starts_in_list_order() {
    let (calls, out, _) = run(ON, &["start"]);
    assert_eq!(calls, ["gc -q", "start -q web1", "start -q db", "start -q mail"]);
    assert!(out.contains("Starting vimages: web1 db mail."), "{out}");
}

#[test]
fn stop_goes_in_reverse_order() {
    let (calls, _, _) = run(ON, &["stop"]);
    assert_eq!(calls, ["stop -q mail", "stop -q db", "stop -q web1"]);
}

#[test]
fn names_on_the_command_line_win_over_the_list() {
    let (calls, _, _) = run(ON, &["start", "db"]);
    assert_eq!(calls, ["gc -q", "start -q db"]);
    let (calls, _, _) = run(ON, &["stop", "db", "mail"]);
    assert_eq!(calls, ["stop -q mail", "stop -q db"]);
}

#[test]
fn restart_is_stop_then_start() {
    let (calls, _, _) = run(ON, &["restart"]);
    assert_eq!(
        calls,
        ["stop -q mail", "stop -q db", "stop -q web1", "gc -q", "start -q web1", "start -q db", "start -q mail"]
    );
}

#[test]
fn disabled_does_nothing_unless_onestart() {
    let off = "vimage_list=\"web1\"";
    let (calls, _, err) = run(off, &["start"]);
    assert!(calls.is_empty());
    assert!(err.contains("Set vimage_enable to YES"), "{err}");
    let (calls, _, _) = run(off, &["onestart"]);
    assert_eq!(calls, ["gc -q", "start -q web1"]);
}

#[test]
fn parallel_start_starts_them_all() {
    let (calls, _, _) = run(&format!("{ON}\nvimage_parallel_start=\"YES\""), &["start"]);
    assert_eq!(calls[0], "gc -q");
    let mut rest = calls[1..].to_vec();
    rest.sort();
    assert_eq!(rest, ["start -q db", "start -q mail", "start -q web1"]);
}

/// The stub fails `vimage start` of `db` and `mail` (exit 71, after a moment, so the parallel
/// jobs really overlap) and succeeds for the others.
const FAIL_DB_MAIL: &str = "case \"$*\" in \"start -q db\"|\"start -q mail\") sleep 0.2; exit 71 ;; esac";

#[test]
fn parallel_start_reports_each_failed_name_and_fails() {
    let (calls, out, err, ok) = run_stub(&format!("{ON}\nvimage_parallel_start=\"YES\""), &["start"], FAIL_DB_MAIL);
    assert!(!ok, "a failed start makes `service vimage start` fail: {out}{err}");
    let mut started = calls[1..].to_vec();
    started.sort();
    assert_eq!(started, ["start -q db", "start -q mail", "start -q web1"], "every vimage was started");
    let warning = err.lines().find(|l| l.contains("failed to start")).unwrap_or_default();
    let mut failed: Vec<&str> = warning.rsplit(':').next().unwrap_or_default().split_whitespace().collect();
    failed.sort();
    assert_eq!(failed, ["db", "mail"], "{err}");
    assert!(out.contains("Starting vimages: web1 db mail."), "{out}");
    // All succeed: success, no warning.
    let (_, _, err, ok) = run_stub(&format!("{ON}\nvimage_parallel_start=\"YES\""), &["start"], "");
    assert!(ok && !err.contains("failed"), "{err}");
}

#[test]
fn sequential_start_reports_each_failed_name_and_fails() {
    let (calls, _, err, ok) = run_stub(ON, &["start"], FAIL_DB_MAIL);
    assert!(!ok);
    assert_eq!(calls, ["gc -q", "start -q web1", "start -q db", "start -q mail"]);
    assert!(err.contains("vimages failed to start: db mail"), "{err}");
}

#[test]
fn status_and_an_empty_list() {
    let (calls, _, _) = run(ON, &["status"]);
    assert_eq!(calls, ["status"]);
    let (calls, _, _) = run("vimage_enable=YES", &["start"]);
    assert!(calls.is_empty());
}

#[test]
fn rcorder_keywords_fit_boot_and_shutdown() {
    let s = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SCRIPT)).unwrap();
    assert!(s.contains("# PROVIDE: vimage"));
    assert!(s.contains("# REQUIRE: NETWORKING"), "after networking");
    assert!(s.contains("# KEYWORD: nojail shutdown"), "stopped at shutdown, never inside a jail");
}

#[test]
fn names_given_to_the_script_follow_the_same_rule_with_the_real_vimage() {
    // Issue 12, item 1, through the rc.d script: `service vimage onestart typo` / `onestop
    // typo` pass the name to `vimage start` / `vimage stop`, which refuse it; the simulated
    // kernel is unchanged and the refusal reaches the console.
    let w = common::World::demo();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let subr = root.join("tests/fixtures/rc/rc.subr");
    let script =
        std::fs::read_to_string(root.join(SCRIPT)).unwrap().replace(". /etc/rc.subr", &format!(". {}", subr.display()));
    let sp = w.path().join("vimage.rc");
    std::fs::write(&sp, script).unwrap();
    let conf = w.root.join("etc/rc.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::write(
        &conf,
        format!(
            "vimage_list=\"web3\"\nvimage_web3_rootdir=\"/vm/web3\"\nvimage_web3_epairs=\"em0\"\nvimage_program=\"{}\"\n",
            common::vimage_bin().display()
        ),
    )
    .unwrap();
    let run = |verb: &str, name: &str| {
        Command::new("sh")
            .arg(&sp)
            .args([verb, name])
            .env("TEST_RC_CONF", &conf)
            .env("VIMAGE_CMD_DIR", &w.cmd_dir)
            .env("FBSD_SIM_STATE", &w.state)
            .env("VIMAGE_ROOT", &w.root)
            .env_remove("workdir")
            .output()
            .unwrap()
    };
    let before = w.kernel().snapshot();
    for (verb, name) in [("onestart", "typo"), ("onestop", "typo"), ("onestop", "web1"), ("onestart", "web1")] {
        let err = String::from_utf8_lossy(&run(verb, name).stderr).into_owned();
        assert!(err.contains(&format!("jail {name}: is not a vimage")), "{verb} {name}: {err}");
        assert_eq!(w.kernel().snapshot(), before, "{verb} {name}");
    }
    // The configured name still works through the script.
    let o = run("onestart", "web3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(w.kernel().jail_iface("web3", "eth0").is_some());
    let o = run("onestop", "web3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(w.kernel().snapshot(), before);
}

#[test]
fn vimage_syslog_no_passes_syslog_0_to_every_call() {
    let (calls, _, _) = run(&format!("{ON}\nvimage_syslog=\"NO\""), &["start"]);
    assert_eq!(calls, ["gc -q syslog=0", "start -q web1 syslog=0", "start -q db syslog=0", "start -q mail syslog=0"]);
    let (calls, _, _) = run(&format!("{ON}\nvimage_syslog=\"NO\""), &["stop", "web1"]);
    assert_eq!(calls, ["stop -q web1 syslog=0"]);
    let (calls, _, _) = run(&format!("{ON}\nvimage_syslog=\"YES\""), &["status"]);
    assert_eq!(calls, ["status"]);
}
