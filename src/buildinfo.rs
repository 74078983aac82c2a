//! What this binary is: version, the git commit it was built from, its target, and whether the
//! simulated FreeBSD host is compiled in.
//!
//! The release package for FreeBSD is built without the `simulator` feature, so `vimage demo`
//! and `--simulate` are absent there; [`no_simulator`] is the one error they give instead, and
//! `vimage version` says which kind of build an admin is looking at.

use crate::error::{Error, Kind};
use serde::Serialize;

/// The crate version (Cargo.toml), the same string the package and the port carry.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The full git commit hash the binary was built from, or "unknown" (see build.rs).
pub const COMMIT: &str = env!("VIMAGE_GIT_COMMIT");

/// The target triple the binary was compiled for (e.g. x86_64-unknown-freebsd).
pub const TARGET: &str = env!("VIMAGE_BUILD_TARGET");

/// Whether the simulated FreeBSD host (`vimage demo`, `--simulate`, fbsd-sim) is in this build.
pub const SIMULATOR: bool = cfg!(feature = "simulator");

/// `vimage version --json`: the same facts as the text, for scripts and bug reports.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BuildInfo {
    /// The crate version.
    pub version: &'static str,
    /// The git commit, or "unknown".
    pub commit: &'static str,
    /// The target triple.
    pub target: &'static str,
    /// Whether the simulator is compiled in.
    pub simulator: bool,
}

/// This binary's build facts.
pub fn info() -> BuildInfo {
    BuildInfo { version: VERSION, commit: COMMIT, target: TARGET, simulator: SIMULATOR }
}

/// `vimage --version` and `vimage version`: the version line first (what scripts grep), then
/// the commit, the target and the simulator, one per line.
pub fn text() -> String {
    let sim = if SIMULATOR {
        "compiled in (vimage demo, --simulate)"
    } else {
        "not in this build (no vimage demo, no --simulate)"
    };
    format!("vimage {VERSION}\ncommit: {COMMIT}\ntarget: {TARGET}\nsimulator: {sim}\n")
}

/// The error for `what` (`vimage demo`, `--simulate`) in a build without the simulator: exit 69,
/// EX_UNAVAILABLE, as for anything else this host cannot do.
pub fn no_simulator(what: &str) -> Error {
    Error::new(Kind::Unavailable, format!("{what}: this build of vimage has no simulator"))
        .detail("the FreeBSD package is built without it; build with the default `simulator` feature to get it")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_version_commit_and_simulator() {
        let t = text();
        assert!(t.starts_with(&format!("vimage {}\n", env!("CARGO_PKG_VERSION"))), "{t}");
        assert!(t.contains(&format!("commit: {COMMIT}\n")));
        assert!(COMMIT == "unknown" || COMMIT.bytes().all(|b| b.is_ascii_hexdigit()), "{COMMIT}");
        assert_eq!(t.contains("simulator: compiled in"), cfg!(feature = "simulator"));
    }

    #[test]
    fn version_verb_and_flag_print_the_same_and_touch_no_host() {
        // An empty command directory: any FreeBSD command run would fail the call.
        let dir = tempfile::tempdir().unwrap();
        let mut host = crate::host::FreeBsdHost::new(Some(dir.path().to_path_buf()));
        let mut ctx = crate::cli::Ctx {
            paths: crate::paths::Paths::rooted(dir.path()),
            host: &mut host,
            lock_timeout: crate::ops::LOCK_TIMEOUT,
        };
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let flag = crate::cli::run(&argv(&["vimage", "--version"]), &mut ctx).unwrap();
        let verb = crate::cli::run(&argv(&["vimage", "version"]), &mut ctx).unwrap();
        assert_eq!(flag, verb);
        assert_eq!(flag.stdout, text());
        let json = crate::cli::run(&argv(&["vimage", "version", "--json"]), &mut ctx).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(v["version"], VERSION);
        assert_eq!(v["commit"], COMMIT);
        assert_eq!(v["simulator"], SIMULATOR);
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "version wrote nothing");
    }

    #[test]
    fn no_simulator_is_exit_69_and_names_what_was_asked() {
        let e = no_simulator("vimage demo");
        assert_eq!(e.exit_code(), 69);
        assert!(e.to_string().starts_with("vimage demo: this build of vimage has no simulator"), "{e}");
    }
}
