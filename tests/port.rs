//! The port (ports/sysutils/vimage) agrees with Cargo.lock and with the package: its
//! CARGO_CRATES (Makefile.crates) lists every crates.io package of Cargo.lock, its distinfo
//! holds each crate's SHA256 (equal to Cargo.lock's checksum, and to the .crate file cargo
//! fetched, where it is in the cache) and SIZE, the project tarball has a line, and its
//! do-install puts every file of the plist in place. `tools/gen-port-crates` regenerates
//! Makefile.crates and distinfo; this file reads Cargo.lock itself, not through that tool.

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: &str) -> String {
    std::fs::read_to_string(root().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// (name, version, checksum) of each `[[package]]` of Cargo.lock whose source is crates.io.
fn lock_crates() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for block in read("Cargo.lock").split("[[package]]").skip(1) {
        let field = |k: &str| {
            block.lines().find_map(|l| l.strip_prefix(&format!("{k} = \""))?.strip_suffix('"')).map(str::to_string)
        };
        if field("source").is_some_and(|s| s.starts_with("registry+")) {
            let cs = field("checksum").unwrap_or_else(|| panic!("{block}: registry package without checksum"));
            out.push((field("name").unwrap(), field("version").unwrap(), cs));
        }
    }
    out
}

/// The words of `CARGO_CRATES=` in Makefile.crates, in order.
fn cargo_crates() -> Vec<String> {
    let mk = read("ports/sysutils/vimage/Makefile.crates");
    let start = mk.find("CARGO_CRATES=").expect("Makefile.crates sets CARGO_CRATES");
    mk[start + "CARGO_CRATES=".len()..].split_whitespace().filter(|w| *w != "\\").map(str::to_string).collect()
}

/// distinfo as {file: (sha256, size)}.
fn distinfo() -> BTreeMap<String, (Option<String>, Option<u64>)> {
    let mut out: BTreeMap<String, (Option<String>, Option<u64>)> = BTreeMap::new();
    for l in read("ports/sysutils/vimage/distinfo").lines() {
        let Some((k, v)) = l.split_once(" = ") else { continue };
        let Some((algo, file)) = k.split_once(" (") else {
            assert_eq!(k, "TIMESTAMP", "distinfo: {l}");
            continue;
        };
        let file = file.strip_suffix(')').unwrap().to_string();
        let e = out.entry(file).or_default();
        match algo {
            "SHA256" => e.0 = Some(v.to_string()),
            "SIZE" => e.1 = Some(v.parse().unwrap_or_else(|_| panic!("distinfo: {l}"))),
            _ => panic!("distinfo: unknown line {l}"),
        }
    }
    out
}

fn cargo_cache() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"))
        .join("registry/cache")
}

#[test]
fn cargo_crates_and_distinfo_match_cargo_lock() {
    let lock = lock_crates();
    assert!(lock.iter().any(|(n, _, _)| n == "rusqlite"), "Cargo.lock parsed");
    let want: Vec<String> = lock.iter().map(|(n, v, _)| format!("{n}-{v}")).collect();
    assert_eq!(cargo_crates(), want, "CARGO_CRATES is stale: run tools/gen-port-crates");

    let dist = distinfo();
    let crate_files: BTreeSet<&String> = dist.keys().filter(|k| k.starts_with("rust/crates/")).collect();
    let want_files: BTreeSet<String> = want.iter().map(|c| format!("rust/crates/{c}.crate")).collect();
    assert_eq!(
        crate_files,
        want_files.iter().collect(),
        "distinfo lists other crates than Cargo.lock: run tools/gen-port-crates"
    );
    let mut verified_against_files = 0;
    for (n, v, checksum) in &lock {
        let key = format!("rust/crates/{n}-{v}.crate");
        let (sha, size) = &dist[&key];
        assert_eq!(sha.as_deref(), Some(checksum.as_str()), "{key}: SHA256 is not Cargo.lock's checksum");
        let size = size.unwrap_or_else(|| panic!("{key}: no SIZE"));
        // The .crate cargo fetched, where this machine has it (every crate the build used).
        let caches = std::fs::read_dir(cargo_cache())
            .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
            .unwrap_or_default();
        if let Some(file) = caches.iter().map(|c| c.join(format!("{n}-{v}.crate"))).find(|p| p.is_file()) {
            let data = std::fs::read(&file).unwrap();
            assert_eq!(data.len() as u64, size, "{key}: SIZE differs from {}", file.display());
            let hex: String = Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(&hex, checksum, "{}: not the crate Cargo.lock names", file.display());
            verified_against_files += 1;
        }
    }
    assert!(verified_against_files >= 20, "only {verified_against_files} crates found in {}", cargo_cache().display());
}

#[test]
fn distinfo_has_the_project_tarball() {
    let v =
        read("Cargo.toml").lines().find_map(|l| l.strip_prefix("version = \"")?.strip_suffix('"')).unwrap().to_string();
    let dist = distinfo();
    let (sha, size) = dist
        .get(&format!("vimage-{v}.tar.gz"))
        .expect("distinfo: no line for the project tarball (tools/gen-port-crates --dist REV)");
    assert_eq!(sha.as_ref().map(String::len), Some(64));
    assert!(size.unwrap() > 10_000);
}

#[test]
fn gen_port_crates_agrees() {
    // The generator and this test read Cargo.lock separately; both must be content.
    let o = Command::new("python3").arg(root().join("tools/gen-port-crates")).arg("--check").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_port_builds_without_the_simulator_and_installs_every_plist_file() {
    let mk = read("ports/sysutils/vimage/Makefile");
    assert!(mk.contains("USES=\t\tcargo\n"));
    assert!(mk.contains("CARGO_FEATURES=\t--no-default-features\n"), "the port must leave the simulator out");
    assert!(!mk.contains("CARGO_CRATES="), "CARGO_CRATES belongs in Makefile.crates");
    // The module's command links: the .for list is securecmd's commands.
    let sec: BTreeSet<String> = read("modules/vimage.d/securecmd")
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("vimage-"))
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string())
        .collect();
    let for_line = mk.lines().find(|l| l.starts_with(".for c in ")).expect("a .for over the module commands");
    let listed: BTreeSet<String> = for_line[".for c in ".len()..].split_whitespace().map(str::to_string).collect();
    assert_eq!(listed, sec, "the port's .for list and securecmd disagree");
    // Every plist file is named by do-install (by its file name, or as a module link).
    let install = &mk[mk.find("do-install:").unwrap()..];
    for l in read("ports/sysutils/vimage/pkg-plist").lines().filter(|l| !l.is_empty() && !l.starts_with('@')) {
        let name = Path::new(l).file_name().unwrap().to_string_lossy().into_owned();
        let base = name.strip_suffix(".gz").unwrap_or(&name);
        let covered = install.contains(base)
            || (l.starts_with("share/vimage/jconf-templates/") && install.contains("jconf-templates/*.jconf"))
            || (l.starts_with("cbsd/modules/vimage.d/vimage-") && listed.contains(&name["vimage-".len()..]));
        assert!(covered, "{l}: the port's do-install does not install it");
    }
}
