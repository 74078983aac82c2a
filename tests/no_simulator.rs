//! The build without the `simulator` feature (what the FreeBSD package ships): `vimage demo`
//! and `--simulate` refuse plainly with exit 69, and `vimage version` says the simulator is
//! absent. Runs only as `cargo test --no-default-features --test no_simulator` (CI does);
//! in the default build this file is empty.
#![cfg(not(feature = "simulator"))]

use std::process::{Command, Output};

fn vimage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vimage")).args(args).env_remove("VIMAGE_CMD_DIR").output().unwrap()
}

#[test]
fn demo_says_there_is_no_simulator_and_exits_69() {
    let o = vimage(&["demo"]);
    assert_eq!(o.status.code(), Some(69));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("vimage demo: this build of vimage has no simulator"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn simulate_says_there_is_no_simulator_and_exits_69() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let o = vimage(&[&format!("--simulate={}", state.display()), "status"]);
    assert_eq!(o.status.code(), Some(69));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--simulate: this build of vimage has no simulator"), "{err}");
    assert!(!state.exists(), "nothing may be written");
}

#[test]
fn version_says_the_simulator_is_not_in_this_build() {
    for args in [&["--version"][..], &["version"][..]] {
        let o = vimage(args);
        assert!(o.status.success());
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.starts_with(&format!("vimage {}\n", env!("CARGO_PKG_VERSION"))), "{out}");
        assert!(out.contains("simulator: not in this build"), "{out}");
    }
    let o = vimage(&["version", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["simulator"], false);
}

#[cfg(not(target_os = "freebsd"))]
#[test]
fn off_freebsd_the_hint_does_not_offer_the_missing_simulator() {
    let o = vimage(&["status"]);
    assert_eq!(o.status.code(), Some(69));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("this build has no simulator") && !err.contains("vimage demo"), "{err}");
}
