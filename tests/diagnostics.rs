//! Diagnostics through tracing (issue 13 item 9), through the whole entry point: `-v` prints
//! each FreeBSD command on stderr as before, `-vv` also why one failed, `VIMAGE_LOG` takes a
//! filter instead, every other diagnostic names its run (`run{verb=… jail=…}`), and stdout
//! keeps only the result lines.

use std::ffi::OsString;
use vimage::cli::{self, Out};
use vimage::host::SimHost;
use vimage::sim::{Kernel, Sim};

fn run(argv: &[&str], log: Option<&str>) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let env = |k: &str| -> Option<OsString> {
        match k {
            "VIMAGE_ROOT" => Some(root.clone().into_os_string()),
            "VIMAGE_LOG" => log.map(OsString::from),
            _ => None,
        }
    };
    let argv: Vec<OsString> = std::iter::once("vimage").chain(argv.iter().copied()).map(OsString::from).collect();
    let mut host = SimHost::new(Sim::new(Kernel::demo())).without_log();
    let out = Out::capture();
    let code = cli::entry(&argv, &env, &mut host, &out);
    (code, out.stdout(), out.stderr())
}

#[test]
fn quiet_by_default_commands_with_v() {
    let (code, stdout, stderr) = run(&["bridge", "jname=web1"], None);
    assert_eq!(code, 0);
    assert_eq!(stderr, "", "no diagnostics by default");
    assert!(stdout.contains("eth0 is up"), "{stdout}");
    let (code, stdout, stderr) = run(&["bridge", "jname=web1", "-v"], None);
    assert_eq!(code, 0);
    assert!(stderr.lines().any(|l| l.starts_with("+ ifconfig epair create")), "{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("+ ")), "-v: only the commands: {stderr}");
    assert!(!stdout.contains("+ "), "diagnostics stay off stdout: {stdout}");
    let (_, stdout, stderr) = run(&["-q", "-v", "bridge", "jname=web1"], None);
    assert_eq!(stdout, "", "-q");
    assert!(stderr.contains("+ ifconfig epair create"), "{stderr}");
}

#[test]
fn vv_shows_why_a_command_failed_and_names_the_run() {
    let (code, _, v) = run(&["bridge", "jname=nosuch", "-v"], None);
    assert_eq!(code, 69);
    assert!(!v.contains("  exit "), "{v}");
    let (_, _, vv) = run(&["bridge", "jname=nosuch", "-vv"], None);
    assert!(vv.lines().any(|l| l.starts_with("  exit ")), "{vv}");
    assert!(vv.contains("vimage: debug: run{verb=bridge jail=nosuch}: arguments"), "{vv}");
}

#[test]
fn vimage_log_replaces_the_level() {
    let (_, _, e) = run(&["status"], Some("debug"));
    assert!(e.contains("run{verb=status jail=-}") && e.contains("+ "), "{e}");
    let (_, _, e) = run(&["status", "-vv"], Some("error"));
    assert_eq!(e, "", "VIMAGE_LOG wins over -vv");
    let (code, _, e) = run(&["status"], Some("=[,"));
    assert_eq!(code, 0);
    assert!(e.starts_with("vimage: warning: VIMAGE_LOG="), "{e}");
}
