//! Every MAC vimage chooses goes through `mac::choose` over what the gathered view says is
//! held: the kernel's interfaces as well as vimage's records. `vimage set enable=1` gives
//! CBSD's NICs their MACs before the first start; a MAC a host interface already has (an
//! interface vimage has no record of) must not be handed out.

use vimage::cli::{Ctx, run};
use vimage::model::JailName;
use vimage_testkit::fixture::{FixtureSpec, build_workdir};

#[test]
fn set_enable_avoids_a_mac_the_host_kernel_holds_but_the_records_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let spec =
        FixtureSpec::from_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cbsd")).unwrap();
    let wd = build_workdir(&dir.path().join("cbsd"), &spec).unwrap();
    let mut kernel = vimage::sim::Kernel::demo();
    let uuid = kernel.hostuuid().to_string();
    let jail = JailName::parse("web2").unwrap();
    let first = vimage::mac::candidate(&uuid, &jail, 0, 0);
    // A host NIC (not vimage's, not in any record) that happens to hold NIC 0's first candidate.
    kernel.add_ether("em7", &first.to_string(), 1500);
    let mut host = vimage::host::SimHost::new(vimage::sim::Sim::new(kernel));
    let paths = vimage::paths::Paths { root: dir.path().join("root"), workdir: Some(wd.root().to_path_buf()) };
    let mut ctx = Ctx { paths, host: &mut host, lock_timeout: std::time::Duration::from_secs(5) };
    let argv = |a: &[&str]| -> Vec<String> { a.iter().map(|s| s.to_string()).collect() };

    // The dry run already says which MAC it would give, and it is not em7's.
    let o = run(&argv(&["vimage", "set", "jname=web2", "enable=1", "--dry-run", "--json"]), &mut ctx).unwrap();
    let dry: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let changes = dry["changes"].to_string();
    assert!(!changes.contains(&first.to_string()), "em7 holds {first}: {dry}");
    let second = vimage::mac::candidate(&uuid, &jail, 0, 1);
    assert!(changes.contains(&format!("NIC 0's nic_hwaddr={second}")), "the next candidate: {dry}");

    let o = run(&argv(&["vimage", "set", "jname=web2", "enable=1", "--json"]), &mut ctx).unwrap();
    let set: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let nic0 = set["nics"].as_array().unwrap().iter().find(|n| n["nic"] == 0).expect("NIC 0 stored");
    assert_eq!(nic0["mac"], second.to_string(), "{set}");
}

#[test]
fn set_refuses_a_nic_hwaddr_a_host_interface_holds_before_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let spec =
        FixtureSpec::from_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cbsd")).unwrap();
    let wd = build_workdir(&dir.path().join("cbsd"), &spec).unwrap();
    let mut kernel = vimage::sim::Kernel::demo();
    kernel.add_ether("em7", "02:11:22:33:44:55", 1500);
    let mut host = vimage::host::SimHost::new(vimage::sim::Sim::new(kernel));
    let paths = vimage::paths::Paths { root: dir.path().join("root"), workdir: Some(wd.root().to_path_buf()) };
    let db_before = std::fs::read(wd.local_db()).unwrap();
    let mut ctx = Ctx { paths, host: &mut host, lock_timeout: std::time::Duration::from_secs(5) };
    let argv = |a: &[&str]| -> Vec<String> { a.iter().map(|s| s.to_string()).collect() };
    let e = run(&argv(&["vimage", "set", "jname=web2", "nic_hwaddr=02:11:22:33:44:55", "userland=linux"]), &mut ctx)
        .expect_err("refused");
    assert_eq!(e.exit_code(), 65, "{e}");
    assert!(e.to_string().contains("02:11:22:33:44:55 is already used by interface em7"), "{e}");
    assert_eq!(std::fs::read(wd.local_db()).unwrap(), db_before, "CBSD's database is untouched");
    let o = run(&argv(&["vimage", "set", "jname=web2", "--json"]), &mut ctx).unwrap();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["settings"], serde_json::json!({}), "no setting was written either: {v}");
}
