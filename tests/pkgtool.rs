//! The Python packaging tools (tools/pkgtool: the ELF reader and checker, the plist reader and
//! the package writer) have their own unit tests; this runs them under `cargo test`, with the
//! Linux test binary (built with the simulator) as the positive control for the checker's
//! simulator markers.

use std::path::Path;
use std::process::Command;

#[test]
fn the_pkgtool_unit_tests_pass() {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools");
    let o = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", "pkgtool/tests", "-t", "."])
        .current_dir(&tools)
        .env("VIMAGE_TEST_BINARY", env!("CARGO_BIN_EXE_vimage"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 (CI has it; the package tools need it)");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let ran: usize = err.lines().find_map(|l| l.strip_prefix("Ran ")?.split(' ').next()?.parse().ok()).unwrap_or(0);
    assert!(ran >= 15, "only {ran} tests ran:\n{err}");
    assert!(!err.contains("skipped"), "the positive control must run:\n{err}");
}

#[test]
fn check_freebsd_elf_refuses_the_linux_test_binary() {
    // End to end through the command line CI uses: a Linux build with the simulator fails on
    // OS/ABI, interpreter, NEEDED and simulator traces, with one FAIL line each.
    let o = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/check-freebsd-elf"))
        .arg(env!("CARGO_BIN_EXE_vimage"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    for want in [
        "OS/ABI is 0",
        "no FreeBSD ABI tag note",
        "interpreter is '/lib64/",
        "unexpected NEEDED",
        "simulator symbol _ZN",
        "more simulator symbols",
        "simulator string 'crates/fbsd-sim/'",
    ] {
        assert!(out.contains(want), "{want}:\n{out}");
    }
}
