//! The FreeBSD package: `tools/pkg stage` installs exactly the plist (pkg/pkg-plist, the same
//! as the port's), `tools/pkg create` writes a package that an independent reader
//! (tests/pkgcheck) finds consistent with the staged tree, the plist and the manifest rules of
//! freebsd/pkg, `pkg delete` of it removes exactly what it installed, the metadata agrees with
//! the port, and the CBSD module's commands all exist.

mod pkgcheck;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: &str) -> String {
    std::fs::read_to_string(root().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn tools_pkg(args: &[&str]) -> String {
    let o = Command::new("python3").arg(root().join("tools/pkg")).args(args).output().expect("python3 runs tools/pkg");
    assert!(o.status.success(), "tools/pkg {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// A `KEY=\tvalue` line of the port's Makefile.
fn port_var(key: &str) -> String {
    let mk = read("ports/sysutils/vimage/Makefile");
    mk.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("the port's Makefile has no {key}="))
        .trim()
        .to_string()
}

fn cargo_version() -> String {
    let cargo = read("Cargo.toml");
    cargo.lines().find_map(|l| l.strip_prefix("version = \"")).and_then(|l| l.strip_suffix('"')).unwrap().to_string()
}

/// What the package must say besides its files: the version, and the metadata as the port has it.
struct Meta {
    version: String,
    desc: String,
    comment: String,
    maintainer: String,
    www: String,
}

impl Meta {
    fn of_the_port() -> Meta {
        Meta {
            version: cargo_version(),
            desc: read("ports/sysutils/vimage/pkg-descr"),
            comment: port_var("COMMENT"),
            maintainer: port_var("MAINTAINER"),
            www: port_var("WWW"),
        }
    }

    fn expect(&self) -> pkgcheck::Expect<'_> {
        pkgcheck::Expect {
            version: &self.version,
            comment: &self.comment,
            maintainer: &self.maintainer,
            www: &self.www,
            desc: &self.desc,
            shlibs_required: None,
        }
    }
}

#[test]
fn staging_installs_exactly_the_plist() {
    let dir = tempfile::tempdir().unwrap();
    tools_pkg(&["stage", dir.path().to_str().unwrap(), env!("CARGO_BIN_EXE_vimage")]);
    let prefix = dir.path().join("usr/local");
    let staged: BTreeSet<String> = pkgcheck::walk(&prefix).into_keys().collect();
    let plist = tools_pkg(&["plist"]);
    assert_eq!(staged, pkgcheck::plist_paths(&plist), "tools/pkg stage and its plist disagree");
    assert_eq!(
        pkgcheck::plist_paths(&read("ports/sysutils/vimage/pkg-plist")),
        pkgcheck::plist_paths(&plist),
        "the port's pkg-plist differs from the package's (tools/pkg plist)"
    );
    // The module's command links, relative as the port's ${RLN} makes them.
    let link = std::fs::read_link(prefix.join("cbsd/modules/vimage.d/vimage-bridge")).unwrap();
    assert_eq!(link, Path::new("../../../bin/vimage"));
    assert_eq!(
        prefix.join("cbsd/modules/vimage.d").join(&link).canonicalize().unwrap(),
        prefix.join("bin/vimage").canonicalize().unwrap()
    );
    assert!(!staged.iter().any(|f| f.contains("fbsd-sim")), "the simulator is not shipped");
    for (f, mode) in [
        ("bin/vimage", 0o555),
        ("etc/rc.d/vimage", 0o555),
        ("share/man/man8/vimage.8.gz", 0o444),
        ("share/bash-completion/completions/vimage", 0o444),
        ("share/zsh/site-functions/_vimage", 0o444),
        ("share/fish/vendor_completions.d/vimage.fish", 0o444),
    ] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(prefix.join(f)).unwrap().permissions().mode() & 0o7777, mode, "{f}");
    }
    // The shell completions, where bash-completion, zsh and fish look under the prefix.
    for (src, dest) in [
        ("vimage.bash", "share/bash-completion/completions/vimage"),
        ("_vimage", "share/zsh/site-functions/_vimage"),
        ("vimage.fish", "share/fish/vendor_completions.d/vimage.fish"),
    ] {
        assert_eq!(
            std::fs::read(prefix.join(dest)).unwrap(),
            std::fs::read(root().join("share/completions").join(src)).unwrap(),
            "{dest}"
        );
    }
    // docs/json.md under docs/, so the README's link to it works where it is installed.
    for doc in ["LICENSE", "README.md", "docs/json.md"] {
        assert_eq!(
            std::fs::read(prefix.join("share/doc/vimage").join(doc)).unwrap(),
            std::fs::read(root().join(doc)).unwrap()
        );
    }
}

#[test]
fn a_new_file_in_a_shipped_directory_must_be_in_the_plist() {
    // tools/pkg refuses to stage when modules/vimage.d, share/cbsd or jconf-templates hold a
    // file the plist does not list: it would be left out of the package without a word. Run
    // against a copy of the tree, with one file added.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("src");
    std::fs::create_dir_all(&copy).unwrap();
    for d in ["tools", "pkg", "modules", "share", "jconf-templates", "ports"] {
        let o = Command::new("cp").arg("-a").arg(root().join(d)).arg(&copy).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in ["Cargo.toml", "README.md", "LICENSE"] {
        std::fs::copy(root().join(f), copy.join(f)).unwrap();
    }
    std::fs::write(copy.join("share/cbsd/system-skel/master_prestop.d/new-hook.sh"), "#!/bin/sh\n").unwrap();
    let o = Command::new("python3")
        .arg(copy.join("tools/pkg"))
        .args(["stage", dir.path().join("dest").to_str().unwrap(), env!("CARGO_BIN_EXE_vimage")])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("share/cbsd/system-skel/master_prestop.d/new-hook.sh is not in pkg/pkg-plist"), "{err}");
}

type Built = (tempfile::TempDir, PathBuf, PathBuf, String);

/// Runs `tools/pkg create` for `binary` with `--test-contents` (it need not be a FreeBSD ELF)
/// and the extra `args`: (temp dir, package path, stage root, plist).
fn build_package(binary: &Path, args: &[&str]) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let (out, stage) = (dir.path().join("out"), dir.path().join("stage"));
    let mut all = vec!["create", "--test-contents", "--binary", binary.to_str().unwrap()];
    all.extend(["--out", out.to_str().unwrap(), "--stage", stage.to_str().unwrap()]);
    all.extend(args);
    let said = tools_pkg(&all);
    let pkg = out.join(format!("vimage-{}.pkg", cargo_version()));
    assert!(said.contains(&pkg.display().to_string()), "{said}");
    (dir, pkg, stage, tools_pkg(&["plist"]))
}

/// The test package with the freshly built Linux binary, built once per run and shared. In
/// pkg's plain "tar" format: xz over a 68 MB debug binary costs a minute in an unoptimised test;
/// the xz path is checked by `a_txz_package_reads_back` here and on the real package in CI.
fn test_package() -> &'static Built {
    static PKG: std::sync::OnceLock<Built> = std::sync::OnceLock::new();
    PKG.get_or_init(|| build_package(Path::new(env!("CARGO_BIN_EXE_vimage")), &["--format", "tar"]))
}

/// The shared test package, read back.
fn test_package_read() -> &'static pkgcheck::Package {
    static READ: std::sync::OnceLock<pkgcheck::Package> = std::sync::OnceLock::new();
    READ.get_or_init(|| pkgcheck::read(&test_package().1))
}

#[test]
fn the_package_matches_its_staged_tree_plist_and_manifest_rules() {
    let (_dir, _pkg, stage, plist) = test_package();
    let p = test_package_read();
    pkgcheck::check(p, stage, plist, &Meta::of_the_port().expect());
}

#[test]
fn a_txz_package_reads_back() {
    // pkg's txz (the default of tools/pkg create) through lzma-rs, with a small stand-in binary.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("vimage");
    std::fs::write(&bin, "#!/bin/sh\necho stand-in\n").unwrap();
    let (_d, pkg, stage, plist) = build_package(&bin, &[]);
    assert!(std::fs::read(&pkg).unwrap().starts_with(b"\xfd7zXZ\0"), "not xz");
    pkgcheck::check(&pkgcheck::read(&pkg), &stage, &plist, &Meta::of_the_port().expect());
}

#[test]
fn the_package_checker_notices_a_tampered_file() {
    // The checker must be able to fail: change one file of a copy of the staged tree.
    let (_dir, _pkg, stage, plist) = test_package();
    let p = test_package_read();
    let copy = tempfile::tempdir().unwrap();
    let o = Command::new("cp").arg("-a").arg(stage.join("usr")).arg(copy.path()).output().unwrap();
    assert!(o.status.success());
    let stage = copy.path();
    // bin/vimage: the first file checked, so a content mismatch is found before any big sum.
    let bin = stage.join("usr/local/bin/vimage");
    let mut data = std::fs::read(&bin).unwrap();
    data[1000] ^= 1;
    std::fs::write(&bin, data).unwrap();
    let meta = Meta::of_the_port();
    let r = std::panic::catch_unwind(|| pkgcheck::check(p, stage, plist, &meta.expect()));
    assert!(r.is_err(), "a changed file went unnoticed");
}

/// The package CI builds from the FreeBSD binary: `.ci/run` sets VIMAGE_PKG (the package) and
/// VIMAGE_PKG_STAGE (the tree it was staged from) and runs this with --ignored.
#[test]
#[ignore = "run by .ci/run on the package built from the FreeBSD binary"]
fn the_ci_package_from_the_freebsd_binary() {
    let pkg = PathBuf::from(std::env::var("VIMAGE_PKG").expect("VIMAGE_PKG names the package"));
    let stage = PathBuf::from(std::env::var("VIMAGE_PKG_STAGE").expect("VIMAGE_PKG_STAGE names its staged tree"));
    let p = pkgcheck::read(&pkg);
    let meta = Meta::of_the_port();
    let mut want = meta.expect();
    // pkg_analyse_elf: the binary's DT_NEEDED, sorted.
    want.shlibs_required = Some(&["libc.so.7", "libm.so.5", "libthr.so.3"]);
    pkgcheck::check(&p, &stage, &tools_pkg(&["plist"]), &want);
    assert_eq!(pkg.file_name().unwrap().to_string_lossy(), format!("vimage-{}.pkg", meta.version));
    delete_on_paper(&p);
}

/// The install root after `pkg add`, modelled: what was there before, plus the archive's
/// entries (pkg_add.c creates missing parent directories).
fn install(p: &pkgcheck::Package, root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in &p.entries[2..] {
        let dest = root.join(e.path.trim_start_matches('/'));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        match e.kind {
            'f' => {
                std::fs::write(&dest, &e.data).unwrap();
                std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(e.mode & 0o7777)).unwrap();
            }
            'l' => std::os::unix::fs::symlink(e.link.as_ref().unwrap(), &dest).unwrap(),
            _ => std::fs::create_dir_all(&dest).unwrap(),
        }
    }
}

/// `pkg delete`, modelled from freebsd/pkg libpkg/pkg_delete.c: unlink each manifest file,
/// remember its directory (pkg_add_dir_to_del), then rmdir each remembered directory and its
/// parents while they are empty, never the prefix itself (rmdir_p), and the @dir directories.
fn delete(p: &pkgcheck::Package, root: &Path) {
    let m = &p.manifest;
    let prefix = m["prefix"].as_str().unwrap();
    let mut to_del: Vec<String> = Vec::new();
    for f in m["files"].as_object().unwrap().keys() {
        std::fs::remove_file(root.join(f.trim_start_matches('/'))).unwrap();
        to_del.push(format!("{}/", Path::new(f).parent().unwrap().display()));
    }
    if let Some(d) = m.get("directories").and_then(|d| d.as_object()) {
        to_del.extend(d.keys().map(|k| format!("{k}/")));
    }
    for dir in to_del {
        let mut d = PathBuf::from(dir.trim_end_matches('/'));
        while d.starts_with(prefix) && d != Path::new(prefix) {
            match std::fs::remove_dir(root.join(d.strip_prefix("/").unwrap())) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => break, // not empty: it and its parents stay
            }
            d.pop();
        }
    }
}

fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn go(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let md = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if md.is_dir() {
                out.insert(rel, "dir".into());
                go(&p, root, out);
            } else {
                out.insert(rel, format!("{} bytes", md.len()));
            }
        }
    }
    go(root, root, &mut out);
    out
}

/// Installs `p` into a root that already holds an admin's files and vimage's state, deletes it
/// again, and checks that exactly the starting tree is left.
fn delete_on_paper(p: &pkgcheck::Package) {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for (f, body) in [
        ("etc/rc.conf", "vimage_enable=\"YES\"\n"),
        ("etc/devfs.rules", "[vimage_bpf=20]\n"),
        ("var/db/vimage/vimage.sqlite", "state"),
        ("usr/local/bin/other-tool", "x"),
        ("usr/local/cbsd/modules/other.d/securecmd", "other"),
        ("usr/local/share/doc/other/README", "x"),
    ] {
        std::fs::create_dir_all(r.join(f).parent().unwrap()).unwrap();
        std::fs::write(r.join(f), body).unwrap();
    }
    let before = tree(r);
    install(p, r);
    let installed = tree(r);
    // Every path the package installs is listed in its manifest, under /usr/local.
    let files = p.manifest["files"].as_object().unwrap();
    for (path, what) in &installed {
        if before.contains_key(path) || what == "dir" {
            continue;
        }
        assert!(files.contains_key(&format!("/{path}")), "{path} is installed but not in the manifest");
        assert!(path.starts_with("usr/local/"), "{path} is outside /usr/local");
    }
    delete(p, r);
    assert_eq!(tree(r), before, "pkg delete must leave exactly what was there before the install");
}

#[test]
fn pkg_delete_removes_exactly_what_the_package_installed() {
    delete_on_paper(test_package_read());
}

#[test]
fn the_port_installs_nothing_outside_its_prefix() {
    // Absolute plist lines would install outside PREFIX; the port has none, and no @ keywords
    // that run commands (pkg_ports.c would refuse unknown ones anyway).
    for plist in [read("ports/sysutils/vimage/pkg-plist"), tools_pkg(&["plist"])] {
        for l in plist.lines().filter(|l| !l.is_empty()) {
            assert!(!l.starts_with('/'), "{l}: outside the prefix");
            assert!(!l.contains(".."), "{l}: escapes the prefix");
            if let Some(k) = l.strip_prefix('@') {
                assert!(["comment", "dir", "mode", "owner", "group", "sample"].iter().any(|w| k.starts_with(w)), "{l}");
            }
        }
    }
}

#[test]
fn only_samples_go_under_etc_except_the_rc_script() {
    // A configuration file under etc/ must be @sample, so pkg never overwrites an admin's
    // edits (Keywords/sample.ucl). The rc.d script is code, installed like USE_RC_SUBR's.
    for l in tools_pkg(&["plist"]).lines() {
        if l.starts_with("etc/") && !l.starts_with("etc/rc.d/") {
            panic!("{l}: a file under etc/ must be listed as @sample {l}.sample");
        }
    }
}

#[test]
fn the_package_metadata_agrees_with_the_port() {
    let v = cargo_version();
    assert_eq!(port_var("DISTVERSION"), v);
    let meta: serde_json::Value = serde_json::from_str(&read("pkg/MANIFEST.in")).expect("pkg/MANIFEST.in is JSON");
    assert_eq!(meta["version"], "@VERSION@");
    assert_eq!(meta["origin"], format!("{}/{}", port_var("CATEGORIES"), port_var("PORTNAME")));
    assert_eq!(meta["comment"], port_var("COMMENT"));
    assert_eq!(meta["maintainer"], port_var("MAINTAINER"));
    assert_eq!(meta["www"], port_var("WWW"));
    assert_eq!(meta["licenses"], serde_json::json!([port_var("LICENSE")]));
    assert!(port_var("COMMENT").len() <= 70, "portlint: COMMENT longer than 70 characters");
    let license = read("Cargo.toml");
    assert!(license.contains("license = \"BSD-2-Clause\"") && port_var("LICENSE") == "BSD2CLAUSE");
    assert!(
        read("LICENSE").starts_with("BSD 2-Clause License\n\nCopyright (c)")
            && read("LICENSE").contains("vimage developers")
    );
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
