//! The FreeBSD package and port: what `tools/pkg stage` installs is exactly pkg/pkg-plist
//! (and the port's pkg-plist), versions agree, the port's crate list matches Cargo.lock, and
//! the CBSD module's commands all exist.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: &str) -> String {
    std::fs::read_to_string(root().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn plist(p: &str) -> BTreeSet<String> {
    read(p).lines().filter(|l| !l.is_empty() && !l.starts_with('@')).map(str::to_string).collect()
}

fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p: PathBuf = e.path();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            walk(&p, base, out);
        } else {
            out.insert(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
        }
    }
}

#[test]
fn staging_installs_exactly_the_plist() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new("sh")
        .arg(root().join("tools/pkg"))
        .arg("stage")
        .arg(dir.path())
        .arg(env!("CARGO_BIN_EXE_vimage"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut staged = BTreeSet::new();
    let prefix = dir.path().join("usr/local");
    walk(&prefix, &prefix, &mut staged);
    assert_eq!(staged, plist("pkg/pkg-plist"), "tools/pkg and pkg/pkg-plist disagree");
    assert_eq!(plist("ports/sysutils/vimage/pkg-plist"), plist("pkg/pkg-plist"), "the port's plist differs");
    let link = std::fs::read_link(prefix.join("cbsd/modules/vimage.d/vimage-bridge")).unwrap();
    assert_eq!(link, Path::new("/usr/local/bin/vimage"));
    assert!(!staged.iter().any(|f| f.contains("fbsd-sim")), "the simulator is not shipped");
}

#[test]
fn versions_agree() {
    let cargo = read("Cargo.toml");
    let v = cargo.lines().find_map(|l| l.strip_prefix("version = \"")).and_then(|l| l.strip_suffix('"')).unwrap();
    assert!(read("ports/sysutils/vimage/Makefile").contains(&format!("DISTVERSION=\t{v}\n")));
    let m = read("pkg/MANIFEST.in");
    assert!(m.contains("version: \"@VERSION@\"") && m.contains("origin: sysutils/vimage"));
}

#[test]
fn the_ports_crate_list_is_generated_from_cargo_lock() {
    let o = Command::new("sh").arg(root().join("tools/gen-port-crates")).output().unwrap();
    assert!(o.status.success());
    let generated = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        read("ports/sysutils/vimage/Makefile").contains(&generated),
        "CARGO_CRATES is stale: rerun tools/gen-port-crates and paste its output into the port's Makefile"
    );
    assert!(generated.contains("rusqlite-"));
}

#[test]
fn every_module_command_exists_and_is_the_binary() {
    let sec = read("modules/vimage.d/securecmd");
    let cmds: BTreeSet<String> =
        sec.split_whitespace().filter(|w| w.starts_with("vimage-")).map(str::to_string).collect();
    let mut files = BTreeSet::new();
    for e in std::fs::read_dir(root().join("modules/vimage.d")).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        if n.starts_with("vimage-") {
            files.insert(n);
        }
    }
    assert_eq!(cmds, files, "securecmd and the module's command files disagree");
    for c in &cmds {
        let verb = c.strip_prefix("vimage-").unwrap();
        assert!(vimage::cli::spec::verb(verb).is_some(), "{c} has no command");
        let l = std::fs::read_link(root().join("modules/vimage.d").join(c)).unwrap();
        assert_eq!(l, Path::new("/usr/local/bin/vimage"));
    }
    assert!(read("modules/vimage.d/metadata.conf").contains("MODULE_DIR=\"/usr/local/cbsd/modules/vimage.d\""));
}
