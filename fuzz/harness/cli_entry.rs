//! One run of vimage's whole command-line entry point (`vimage::cli::entry`) from fuzz bytes:
//! argv as the kernel hands it over (any bytes, not only UTF-8) and the environment, against
//! the in-process simulated FreeBSD host (no real command runs), in a private VIMAGE_ROOT.
//! Shared by the cargo-fuzz target `cli_entry` and by `tests/cli_entry.rs`, which runs it on a
//! seed corpus and on generated inputs inside `cargo test`.
//!
//! Input: argv tokens separated by NUL, then SOH (0x01), then `KEY=VALUE` environment entries
//! separated by NUL. `vimage` is put first unless the first token starts with `vimage`.
//!
//! What must hold for every input: no panic; the exit status is 0 or a sysexits(3) code (70,
//! "internal error", counts as a bug); under `--json` stdout is empty or exactly one JSON
//! document with `"schema": 1` (unless text was asked for with --help, --man, …).

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use vimage::cli::{self, Out};
use vimage::host::SimHost;
use vimage::sim::{Kernel, Sim};

/// Environment variables the harness decides, whatever the input says: every path stays in
/// the run's own directory, and no stand-in command directory is used.
const PINNED: [&str; 3] = ["VIMAGE_ROOT", "workdir", "VIMAGE_CMD_DIR"];

/// Verbs and keys that would reach outside the run's directory: `construct` writes a jconf
/// where `out=` says and runs the current executable; `demo` makes temporary directories;
/// `rcconf=` names a file to write anywhere.
const UNSAFE: [&str; 3] = ["construct", "demo", "rcconf"];

fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("vimage-cli-entry-{}-{n}", std::process::id()))
}

/// Splits the input into argv and environment.
pub fn decode(data: &[u8]) -> (Vec<OsString>, Vec<(String, OsString)>) {
    let (args, env) = match data.iter().position(|&b| b == 1) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let mut argv: Vec<OsString> = args.split(|&b| b == 0).map(|t| OsString::from_vec(t.to_vec())).collect();
    if !argv.first().is_some_and(|a| a.as_bytes().starts_with(b"vimage")) {
        argv.insert(0, OsString::from("vimage"));
    }
    let env = env
        .split(|&b| b == 0)
        .filter_map(|e| {
            let i = e.iter().position(|&b| b == b'=')?;
            let k = std::str::from_utf8(&e[..i]).ok()?.to_string();
            Some((k, OsString::from_vec(e[i + 1..].to_vec())))
        })
        .collect();
    (argv, env)
}

/// Runs one input; panics if an invariant does not hold. Returns the exit status (`None`
/// when the input was skipped as unsafe to run in-process).
pub fn one(data: &[u8]) -> Option<i32> {
    let (argv, env) = decode(data);
    let lossy: Vec<String> = argv.iter().map(|a| a.to_string_lossy().to_lowercase()).collect();
    let unsafe_word = |s: &str| UNSAFE.iter().any(|u| s.contains(u));
    if lossy.iter().any(|a| unsafe_word(a)) || env.iter().any(|(k, _)| unsafe_word(&k.to_lowercase())) {
        return None;
    }
    let dir = scratch();
    std::fs::create_dir_all(&dir).ok()?;
    let root = dir.clone();
    let lookup = |k: &str| -> Option<OsString> {
        match k {
            "VIMAGE_ROOT" => Some(root.clone().into_os_string()),
            _ if PINNED.contains(&k) => None,
            _ => env.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
        }
    };
    let mut host = SimHost::new(Sim::new(Kernel::demo())).without_log();
    let out = Out::capture();
    let code = cli::entry(&argv, &lookup, &mut host, &out);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(code, 0 | 64 | 65 | 69 | 71 | 73 | 74 | 75), "exit {code} for {argv:?} {env:?}: {}", out.stderr());
    let text: Vec<String> = argv.iter().filter_map(|a| a.to_str().map(str::to_string)).collect();
    let meta = text
        .iter()
        .any(|a| matches!(a.as_str(), "--help" | "-h" | "help" | "--desc" | "--args" | "--man" | "--version" | "-V"));
    let stdout = out.stdout();
    if cli::json_requested(&text) && !meta && !stdout.is_empty() {
        let v: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("--json printed no single JSON document ({e}) for {argv:?}: {stdout}"));
        assert_eq!(v["schema"], 1, "{argv:?}: {stdout}");
        match v.get("error") {
            Some(e) => assert_eq!(e["exit"], code, "{argv:?}: the error document gives the exit status: {stdout}"),
            // Only gc (some removals failed) and doctor (vimage cannot work here) report a
            // failure in their own document.
            None => assert!(
                code == 0 || v.get("errors").is_some() || v["usable"] == false,
                "{argv:?} exit {code} without an error document: {stdout}"
            ),
        }
    }
    Some(code)
}
