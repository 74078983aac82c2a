//! The audit trail (issue 13 item 9): every change and every failure of a run also goes to
//! syslog as an RFC 3164 line, facility daemon, ident vimage, to the Unix datagram socket named
//! by VIMAGE_SYSLOG_SOCKET (here one the test binds); `syslog=0` sends nothing, and a socket
//! that is not there never fails the command.

use std::ffi::OsString;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;
use vimage::cli::{self, Out};
use vimage::host::SimHost;
use vimage::sim::{Kernel, Sim};

struct Run {
    code: i32,
    stdout: String,
    lines: Vec<String>,
}

/// Runs `argv` in-process (root `root`, simulated host `host`) with the socket at `socket`,
/// and returns what reached a datagram socket bound there (if `bind`).
fn run(root: &Path, host: &mut SimHost, socket: &Path, bind: bool, argv: &[&str]) -> Run {
    let rx = bind.then(|| {
        let _ = std::fs::remove_file(socket);
        let rx = UnixDatagram::bind(socket).unwrap();
        rx.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        rx
    });
    let env = |k: &str| -> Option<OsString> {
        match k {
            "VIMAGE_ROOT" => Some(root.as_os_str().to_owned()),
            "VIMAGE_SYSLOG_SOCKET" => Some(socket.as_os_str().to_owned()),
            _ => None,
        }
    };
    let argv: Vec<OsString> = std::iter::once("vimage").chain(argv.iter().copied()).map(OsString::from).collect();
    let out = Out::capture();
    let code = cli::entry(&argv, &env, host, &out);
    let mut lines = Vec::new();
    if let Some(rx) = rx {
        let mut buf = [0u8; 4096];
        while let Ok(n) = rx.recv(&mut buf) {
            lines.push(String::from_utf8(buf[..n].to_vec()).unwrap());
        }
    }
    Run { code, stdout: out.stdout(), lines }
}

fn setup() -> (tempfile::TempDir, SimHost) {
    (tempfile::tempdir().unwrap(), SimHost::new(Sim::new(Kernel::demo())).without_log())
}

#[test]
fn a_bridge_run_sends_one_notice_per_change() {
    let (dir, mut host) = setup();
    let sock = dir.path().join("log");
    let dry = run(dir.path(), &mut host, &sock, true, &["bridge", "jname=web1", "--dry-run"]);
    assert_eq!((dry.code, dry.lines.len()), (0, 0), "a dry run changes nothing: {:?}", dry.lines);
    let planned = dry.stdout.lines().filter(|l| !l.starts_with('#')).count();
    let r = run(dir.path(), &mut host, &sock, true, &["bridge", "jname=web1"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.lines.len(), planned, "one line per applied step: {:?}", r.lines);
    let head = format!("<29>vimage[{}]: bridge jail web1: ", std::process::id());
    for l in &r.lines {
        assert!(l.starts_with(&head), "daemon.notice (3*8+5), ident vimage[pid]: {l}");
    }
    assert!(r.lines[0].contains("ifconfig bridge create"), "{:?}", r.lines);
    assert!(
        r.lines.iter().any(|l| l.ends_with("ifconfig bridge0 addm epair0a")),
        "kernel names filled in: {:?}",
        r.lines
    );
    // Result lines stay on stdout.
    assert!(r.stdout.contains("jail web1: eth0 is up"), "{}", r.stdout);
    // Nothing changes the second time: nothing is logged.
    assert_eq!(run(dir.path(), &mut host, &sock, true, &["bridge", "jname=web1"]).lines.len(), 0);
    // The teardown's changes are logged the same way.
    let un = run(dir.path(), &mut host, &sock, true, &["unbridge", "jname=web1", "-q"]);
    assert_eq!((un.code, un.stdout.as_str()), (0, ""), "-q keeps stdout quiet");
    assert!(un.lines.len() >= 2 && un.lines.iter().all(|l| l.contains("unbridge jail web1: ")), "{:?}", un.lines);
}

#[test]
fn a_failing_run_sends_the_failure_at_err() {
    let (dir, mut host) = setup();
    let sock = dir.path().join("log");
    let r = run(dir.path(), &mut host, &sock, true, &["bridge", "jname=nosuch"]);
    assert_eq!(r.code, 69);
    assert_eq!(r.lines.len(), 1, "{:?}", r.lines);
    let head = format!("<27>vimage[{}]: bridge jail nosuch failed: ", std::process::id());
    assert!(r.lines[0].starts_with(&head) && r.lines[0].ends_with("(exit 69)"), "daemon.err (3*8+3): {:?}", r.lines);
}

#[test]
fn syslog_0_sends_nothing() {
    let (dir, mut host) = setup();
    let sock = dir.path().join("log");
    for argv in [
        &["bridge", "jname=web1", "syslog=0"][..],
        &["syslog=0", "unbridge", "jname=web1"],
        &["bridge", "jname=nosuch", "--syslog=no"],
    ] {
        let r = run(dir.path(), &mut host, &sock, true, argv);
        assert!(r.code == 0 || r.code == 69, "{argv:?}: {}", r.code);
        assert_eq!(r.lines, Vec::<String>::new(), "{argv:?}");
    }
}

#[test]
fn a_missing_socket_never_fails_the_command() {
    let (dir, mut host) = setup();
    let sock = dir.path().join("no/such/log");
    let r = run(dir.path(), &mut host, &sock, false, &["bridge", "jname=web1"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("eth0 is up"), "{}", r.stdout);
    assert_eq!(run(dir.path(), &mut host, &sock, false, &["bridge", "jname=nosuch"]).code, 69);
}

/// Runs that belong to no jail are journalled under a scope name (`%vimage-doctor`); the audit
/// trail names the verb alone, never that name.
#[test]
fn doctor_fix_logs_its_changes_without_a_jail_name() {
    let (dir, mut host) = setup();
    host.sim_mut().kernel.unload_module("ng_ether");
    let sock = dir.path().join("log");
    let r = run(dir.path(), &mut host, &sock, true, &["doctor", "fix=1"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let want = format!("<29>vimage[{}]: doctor: kldload -n ng_ether", std::process::id());
    assert_eq!(r.lines, [want], "{:?}", r.lines);
    assert!(r.lines.iter().all(|l| !l.contains('%')), "{:?}", r.lines);
}
