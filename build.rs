//! Records the git commit the binary is built from, for `vimage --version`.
//!
//! Order of sources: `VIMAGE_GIT_COMMIT` in the environment (a packager who knows better), the
//! git checkout the crate sits in, the `share/git-commit` file that `git archive` fills in
//! (`export-subst` in .gitattributes, so a release tarball without .git still knows its commit),
//! and finally "unknown". The build script reruns only when HEAD or the branch it points at
//! moves, so ordinary edits do not rebuild anything extra.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn is_commit_hash(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Tells cargo to rerun when the checked-out commit changes: HEAD itself (a checkout or a
/// detached HEAD moving), the ref it names (a commit on the branch), and packed-refs (where
/// the ref lives after `git gc`). Only paths that exist are named: a missing path would make
/// cargo rerun the script on every build.
fn watch_git(manifest_dir: &Path) {
    let Some(head) = git(&["-C", manifest_dir.to_str().unwrap_or("."), "rev-parse", "--git-path", "HEAD"]) else {
        return;
    };
    let mut watch: Vec<PathBuf> = vec![manifest_dir.join(head)];
    if let Some(r) = git(&["-C", manifest_dir.to_str().unwrap_or("."), "symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["-C", manifest_dir.to_str().unwrap_or("."), "rev-parse", "--git-path", &r])
    {
        watch.push(manifest_dir.join(p));
    }
    if let Some(p) = git(&["-C", manifest_dir.to_str().unwrap_or("."), "rev-parse", "--git-path", "packed-refs"]) {
        watch.push(manifest_dir.join(p));
    }
    for p in watch.into_iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=share/git-commit");
    println!("cargo:rerun-if-env-changed=VIMAGE_GIT_COMMIT");
    watch_git(&manifest_dir);

    let from_env = std::env::var("VIMAGE_GIT_COMMIT").ok().filter(|s| is_commit_hash(s));
    let from_git = || {
        // Only the checkout this crate is the top of: a vimage tarball unpacked inside some
        // other git work tree (a ports tree, say) must not report that tree's commit.
        let top = git(&["-C", manifest_dir.to_str()?, "rev-parse", "--show-toplevel"])?;
        let same = Path::new(&top).canonicalize().ok()? == manifest_dir.canonicalize().ok()?;
        same.then(|| git(&["-C", manifest_dir.to_str()?, "rev-parse", "HEAD"])).flatten()
    };
    let from_archive = || {
        let s = std::fs::read_to_string(manifest_dir.join("share/git-commit")).ok()?;
        let s = s.trim().to_string();
        is_commit_hash(&s).then_some(s)
    };
    let commit = from_env.or_else(from_git).or_else(from_archive).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=VIMAGE_GIT_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=VIMAGE_BUILD_TARGET={target}");
}
