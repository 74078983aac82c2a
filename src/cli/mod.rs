//! The command line: argv → verb → result text and exit code.
//!
//! `main` only chooses the host (real or simulated) and calls [`run`]; everything else is here
//! and testable in-process.

pub mod args;
mod bridge;
pub mod command;
mod construct;
#[cfg(feature = "simulator")]
mod demo;
mod devfs;
mod doctor;
mod doctor_check;
mod doctor_pf;
mod expose;
mod gc;
mod lines;
pub mod log;
pub mod man;
pub mod net;
mod out;
mod service;
mod set;
pub mod spec;
mod status;
pub mod typed;
mod unbridge;
mod wizard;

use crate::error::{Error, Kind, Result};
use crate::host::{Cmd, Host, Output, SpawnError};
use crate::paths::Paths;
use args::{Args, Meta};
pub use out::Out;
use std::ffi::{OsStr, OsString};
use std::time::Duration;

/// The version of every `--json` document's shape (`"schema": 1`, docs/json.md). Raised when
/// a key is removed or changes meaning; adding a key does not raise it.
pub const JSON_SCHEMA: u32 = 1;

/// What one invocation needs from its surroundings.
pub struct Ctx<'a> {
    /// Where vimage keeps its database, lock and files (overridable for tests and the simulator).
    pub paths: Paths,
    /// The seam to the kernel: the real host or the simulator, chosen by `main` or a test.
    pub host: &'a mut dyn Host,
    /// How long to wait for the host lock.
    pub lock_timeout: Duration,
}

/// What a verb produced, captured: the in-process form of one invocation, for tests, the demo
/// and benchmarks ([`run`]). The binary streams instead ([`run_to`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Everything printed on stdout, in order.
    pub stdout: String,
    /// Warnings printed on stderr (the error itself, if any, is the `Err` of [`run`]).
    pub stderr: String,
    /// The process exit status (0, or a sysexits(3) code from [`crate::error::Kind`]).
    pub code: i32,
}

/// The global options that may come before the verb (`vimage -q status`).
fn global_option(a: &str) -> bool {
    matches!(a, "-q" | "--quiet" | "-v" | "-vv" | "-vvv" | "--verbose") || args::global_syslog(a).is_some()
}

/// Splits argv into the verb and its arguments: `vimage bridge …`, `vimage -q bridge …` or
/// `vimage-bridge …`. Options before the verb are kept, first, in the arguments.
pub fn verb_of(argv: &[String]) -> (Option<String>, Vec<String>) {
    let prog = argv.first().map(|a| a.rsplit('/').next().unwrap_or(a).to_string()).unwrap_or_default();
    if let Some(v) = prog.strip_prefix("vimage-") {
        return (Some(v.to_string()), argv[1..].to_vec());
    }
    let rest = argv.get(1..).unwrap_or_default();
    let lead = rest.iter().take_while(|a| global_option(a)).count();
    match rest.get(lead) {
        Some(v) if !v.starts_with('-') && !v.contains('=') => {
            let mut args = rest[..lead].to_vec();
            args.extend_from_slice(&rest[lead + 1..]);
            (Some(v.clone()), args)
        }
        _ => (None, rest.to_vec()),
    }
}

/// `vimage --completions=SHELL` (or `--completions SHELL`), alone on the command line: the
/// shell's completion script (share/completions/ holds their output), else `None`.
fn completions_asked(rest: &[String]) -> Option<&str> {
    match rest {
        [one] => one.strip_prefix("--completions="),
        [flag, shell] if flag == "--completions" => Some(shell),
        _ => None,
    }
}

/// Runs one invocation and captures what it prints. Errors are returned, not printed, so tests
/// can inspect them; what was printed before an error is lost here: use [`run_to`] with
/// [`Out::capture`] to see it.
pub fn run(argv: &[String], ctx: &mut Ctx<'_>) -> Result<Outcome> {
    let out = Out::capture();
    let code = run_to(argv, ctx, &out)?;
    Ok(Outcome { stdout: out.stdout(), stderr: out.stderr(), code })
}

/// Runs one invocation, printing each line to `out` as soon as it is true; returns the exit
/// status, or the error (not printed: see [`report`]). `H_CBSD_<key>` come from the process
/// environment.
pub fn run_to(argv: &[String], ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    run_with_env(argv, ctx, out, &|k| std::env::var(k).ok())
}

/// [`run_to`] with the environment given (`H_CBSD_<key>` presets).
pub fn run_with_env(
    argv: &[String],
    ctx: &mut Ctx<'_>,
    out: &Out,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<i32> {
    let (verb, rest) = verb_of(argv);
    let Some(verb) = verb else {
        if rest.iter().any(|a| a == "--man") {
            out.stdout_always(&man::page());
            return Ok(0);
        }
        if let Some(shell) = completions_asked(&rest) {
            let text = command::completion(shell).ok_or_else(|| {
                Error::new(Kind::Usage, format!("no completions for {shell:?}"))
                    .detail("there are completions for bash, zsh and fish; FreeBSD's sh has no programmable completion")
            })?;
            out.stdout_always(&text);
            return Ok(0);
        }
        if rest.iter().any(|a| a == "--version" || a == "-V") {
            out.stdout_always(&crate::buildinfo::text());
            return Ok(0);
        }
        if rest.iter().all(|a| global_option(a)) || rest.iter().any(|a| a == "-h" || a == "--help" || a == "help") {
            out.stdout_always(&spec::main_help());
            return Ok(0);
        }
        let first = rest.iter().find(|a| !global_option(a)).cloned().unwrap_or_default();
        return Err(Error::new(Kind::Usage, format!("no command given before {first:?}")).detail("see: vimage --help"));
    };
    let Some(vs) = spec::verb(&verb) else {
        let mut e = Error::new(Kind::Usage, format!("unknown command '{verb}'"));
        if let Some(s) = args::suggest(&verb, spec::VERBS.iter().map(|v| v.name)) {
            e = e.detail(format!("did you mean '{s}'?"));
        }
        return Err(e.detail("see: vimage --help"));
    };
    let a = args::parse_with_env(vs, &rest, env)?;
    let invoked = format!("vimage {}", vs.name);
    match a.meta {
        Some(Meta::Help) => out.stdout_always(&spec::help(vs, &invoked)),
        Some(Meta::Desc) => out.stdout_always(&format!("{}\n", spec::desc_line(vs))),
        Some(Meta::Args) => out.stdout_always(&spec::args_text(vs)),
        None => {}
    }
    if a.meta.is_some() {
        return Ok(0);
    }
    out.set_quiet(a.quiet);
    let _log = log::install(a.verbose, env(log::LOG_ENV).as_deref(), out);
    // At level error so the span is on whenever any diagnostic is: every line names its run.
    let span = tracing::error_span!("run", verb = %vs.name, jail = %a.jail().unwrap_or("-"));
    let _in_run = span.enter();
    tracing::debug!(keys = ?a.values, "arguments");
    let socket = if a.no_syslog {
        None
    } else {
        crate::audit::socket_path(env(crate::audit::SOCKET_ENV).as_deref(), &ctx.paths.root)
    };
    let _audit = crate::audit::install(socket, vs.name);
    let r = dispatch(vs, &a, ctx, out);
    if let Err(e) = &r {
        let mut text = e.message.clone();
        for d in &e.details {
            text.push_str("; ");
            text.push_str(d);
        }
        crate::audit::failure(e.jail.as_deref(), &format!("{text} (exit {})", e.exit_code()));
    }
    r
}

/// Runs verb `vs` with its parsed arguments, every FreeBSD command it runs shown with `-v`.
fn dispatch(vs: &spec::VerbSpec, a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let mut logged = Logged { inner: &mut *ctx.host };
    let mut sub = Ctx { paths: ctx.paths.clone(), host: &mut logged, lock_timeout: ctx.lock_timeout };
    match vs.name {
        "bridge" => bridge::run(a, &mut sub, out),
        "unbridge" => unbridge::run(a, &mut sub, out),
        "devfs" => devfs::run(a, &mut sub, out),
        "status" => status::run(a, &mut sub, out),
        "doctor" => doctor::run(a, &mut sub, out),
        "gc" => gc::run(a, &mut sub, out),
        "net" => net::run(a, &mut sub, out),
        "expose" => expose::run(a, &mut sub, out, true),
        "unexpose" => expose::run(a, &mut sub, out, false),
        "set" => set::run(a, &mut sub, out),
        "start" => service::start(a, &mut sub, out),
        "stop" => service::stop(a, &mut sub, out),
        "construct" => construct::run(a, &mut sub, out),
        #[cfg(feature = "simulator")]
        "demo" => demo::run(a, out),
        #[cfg(not(feature = "simulator"))]
        "demo" => Err(crate::buildinfo::no_simulator("vimage demo")),
        "version" => {
            let k: typed::VersionKeys = a.keys()?;
            let info = crate::buildinfo::info();
            out.print(&if k.json { json_doc(serde_json::json!(info)) } else { crate::buildinfo::text() });
            Ok(0)
        }
        other => Err(Error::new(Kind::Internal, format!("verb {other} has no implementation"))),
    }
}

/// The whole command line as the process receives it, the host aside: argv as the kernel
/// gave it (not necessarily UTF-8) and the environment, run against `host`, every line printed
/// to `out`, errors reported (text on stderr; with `--json` also the error object on stdout).
/// Returns the exit status. `main` and the fuzz target `cli_entry` both come in here.
pub fn entry(argv: &[OsString], env: &dyn Fn(&str) -> Option<OsString>, host: &mut dyn Host, out: &Out) -> i32 {
    let argv = match utf8_argv(argv) {
        Ok(a) => a,
        Err(e) => return report(&e, json_requested_os(argv), out),
    };
    let paths = Paths::from_env_with(env);
    let lock_timeout = crate::ops::lock_timeout_from(env("VIMAGE_LOCK_TIMEOUT").as_deref().and_then(OsStr::to_str));
    let mut ctx = Ctx { paths, host, lock_timeout };
    // A non-UTF-8 `H_CBSD_<key>` is refused like a non-UTF-8 argument (not silently dropped).
    let bad_env = std::cell::RefCell::new(None);
    let env_str = |k: &str| {
        let v = env(k)?;
        match v.into_string() {
            Ok(s) => Some(s),
            Err(v) => {
                bad_env.borrow_mut().get_or_insert_with(|| not_utf8(&format!("environment variable {k}"), &v));
                None
            }
        }
    };
    let r = run_with_env(&argv, &mut ctx, out, &env_str);
    let r = match bad_env.into_inner() {
        Some(e) => Err(e),
        None => r,
    };
    match r {
        Ok(code) => finish(code, out),
        Err(e) => report(&e, json_requested(&argv), out),
    }
}

/// Reports `e`: its text on stderr (`vimage: …`) and, when `--json` was asked for, the error
/// object on stdout (so a script reading stdout always gets one JSON document). Returns the
/// exit status.
pub fn report(e: &Error, json: bool, out: &Out) -> i32 {
    if json {
        out.stdout_always(&error_json(e));
    }
    out.err_line(format!("vimage: {e}"));
    finish(e.exit_code(), out)
}

/// The exit status once output is done: a stdout that failed for a reason other than a
/// closed pipe (a full disk) turns success into 74, with a word on stderr.
pub fn finish(code: i32, out: &Out) -> i32 {
    match out.write_error() {
        Some(e) => {
            out.err_line(format!("vimage: cannot write standard output: {e}"));
            if code == 0 { Kind::IoErr.exit_code() } else { code }
        }
        None => code,
    }
}

/// The `--json` error object (docs/json.md, "Errors").
pub fn error_json(e: &Error) -> String {
    let f = e.failed.as_ref();
    to_json(&serde_json::json!({
        "schema": JSON_SCHEMA,
        "error": {
            "kind": e.kind.name(),
            "exit": e.exit_code(),
            "jail": e.jail,
            "message": e.message,
            "details": e.details,
            "command": f.map(|f| f.command.as_str()),
            "command_exit": f.map(|f| f.exit),
            "stderr": f.map(|f| f.stderr.as_str()),
            "object": e.object,
            "errors": e.errors.docs(),
        }
    }))
}

/// Whether the command line asks for `--json` (looked at before, or without, parsing it, so
/// even a usage error is answered in JSON).
pub fn json_requested(argv: &[String]) -> bool {
    argv.iter().skip(1).any(|a| {
        let v = match a.strip_prefix("--json").or_else(|| a.strip_prefix("json")) {
            Some("") if a.starts_with("--") => return true,
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        v.is_some_and(|v| matches!(v.trim_matches('"').to_ascii_lowercase().as_str(), "1" | "yes" | "true" | "on"))
    })
}

fn json_requested_os(argv: &[OsString]) -> bool {
    let valid: Vec<String> = argv.iter().filter_map(|a| a.to_str().map(str::to_string)).collect();
    json_requested(&valid)
}

/// argv as UTF-8, or a usage error naming the first argument that is not and where.
pub fn utf8_argv(argv: &[OsString]) -> Result<Vec<String>> {
    argv.iter()
        .enumerate()
        .map(|(i, a)| a.to_str().map(str::to_string).ok_or_else(|| not_utf8(&format!("argument {i}"), a)))
        .collect()
}

/// "argument 2 "jname=\xff" is not valid UTF-8 at byte offset 6".
fn not_utf8(what: &str, v: &OsStr) -> Error {
    let bytes = v.as_encoded_bytes();
    let at = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to()).unwrap_or(0);
    Error::new(
        Kind::Usage,
        format!(
            "{what} \"{}\" is not valid UTF-8 at byte offset {at} (byte {:#04x})",
            escape_bytes(bytes),
            bytes.get(at).copied().unwrap_or(0)
        ),
    )
    .detail("vimage's keys, jail and interface names are text: check the quoting or the locale of the caller")
}

/// Bytes as text: printable ASCII as is, the rest as `\xNN`.
fn escape_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|&c| if (0x20..0x7f).contains(&c) && c != b'\\' { (c as char).to_string() } else { format!("\\x{c:02x}") })
        .collect()
}

/// Shows each FreeBSD command as it runs (info: `-v`) and why one failed (debug: `-vv`),
/// through the run's diagnostics ([`log`]).
struct Logged<'a> {
    inner: &'a mut dyn Host,
}

impl Host for Logged<'_> {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        tracing::info!(target: log::CMD_TARGET, "+ {cmd}");
        let out = self.inner.run(cmd)?;
        if !out.ok() {
            tracing::debug!(target: log::CMD_TARGET, "  exit {}: {}", out.code, out.stderr.trim());
        }
        Ok(out)
    }
}

/// The jail name from `jname=` (a verb's typed keys), validated.
fn jail_arg(s: Option<&str>) -> Result<crate::model::JailName> {
    let s = s.unwrap_or_default();
    crate::model::JailName::parse(s).map_err(|e| Error::new(Kind::Data, e.0))
}

/// Splits a list value: commas or blanks (`em0,em1`, `"em0 em1"`).
fn list(v: Option<&str>) -> Vec<String> {
    v.unwrap_or_default().split([',', ' ', '\t']).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// A verb's `--json` document: `v` (an object) with `"schema"` added.
fn json_doc(mut v: serde_json::Value) -> String {
    if let Some(m) = v.as_object_mut() {
        m.insert("schema".into(), JSON_SCHEMA.into());
    }
    to_json(&v)
}

/// JSON text of a serialisable value, pretty and newline-terminated.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn verb_from_argv0_or_first_word() {
        assert_eq!(verb_of(&s(&["/usr/local/bin/vimage-bridge", "jname=a"])), (Some("bridge".into()), s(&["jname=a"])));
        assert_eq!(verb_of(&s(&["vimage", "status", "--json"])), (Some("status".into()), s(&["--json"])));
        assert_eq!(verb_of(&s(&["vimage", "--help"])), (None, s(&["--help"])));
        assert_eq!(verb_of(&s(&["vimage"])), (None, vec![]));
        // Global options may come first, as rc scripts and people write them.
        assert_eq!(verb_of(&s(&["vimage", "-q", "status", "--json"])), (Some("status".into()), s(&["-q", "--json"])));
        assert_eq!(verb_of(&s(&["vimage", "-v", "-q", "gc"])), (Some("gc".into()), s(&["-v", "-q"])));
        assert_eq!(verb_of(&s(&["vimage", "-q"])), (None, s(&["-q"])));
    }

    #[test]
    fn json_is_recognised_before_parsing() {
        for yes in [
            &["vimage", "x", "--json"][..],
            &["vimage", "json=1"],
            &["vimage", "--json=yes"],
            &["vimage", "json=\"on\""],
        ] {
            assert!(json_requested(&s(yes)), "{yes:?}");
        }
        for no in [&["vimage", "--jsonx"][..], &["vimage", "json"], &["vimage", "json=0"], &["--json"]] {
            assert!(!json_requested(&s(no)), "{no:?}");
        }
    }

    #[test]
    fn a_non_utf8_argument_is_named_with_its_byte_offset() {
        use std::os::unix::ffi::OsStringExt;
        let argv =
            vec![OsString::from("vimage"), OsString::from("bridge"), OsString::from_vec(b"jname=w\\\xff\x01".to_vec())];
        let e = utf8_argv(&argv).unwrap_err();
        assert_eq!(e.exit_code(), 64);
        assert_eq!(e.message, "argument 2 \"jname=w\\x5c\\xff\\x01\" is not valid UTF-8 at byte offset 8 (byte 0xff)");
        assert_eq!(utf8_argv(&argv[..2]).unwrap(), s(&["vimage", "bridge"]));
    }

    #[test]
    fn the_error_document_carries_the_failed_command() {
        let e = Error::jail(Kind::Os, "web1", "`ifconfig epair create` failed (exit 1): ifconfig: boom")
            .command("ifconfig epair create", 1, "ifconfig: boom\n")
            .detail("nothing had been changed yet");
        let v: serde_json::Value = serde_json::from_str(&error_json(&e)).unwrap();
        assert_eq!(v["schema"], JSON_SCHEMA);
        let e = &v["error"];
        assert_eq!(
            (e["kind"].as_str(), e["exit"].as_i64(), e["jail"].as_str()),
            (Some("oserr"), Some(71), Some("web1"))
        );
        assert_eq!((e["command"].as_str(), e["command_exit"].as_i64()), (Some("ifconfig epair create"), Some(1)));
        assert_eq!(e["stderr"], "ifconfig: boom");
        assert_eq!(e["details"][0], "nothing had been changed yet");
        let v: serde_json::Value = serde_json::from_str(&error_json(&Error::new(Kind::Usage, "x"))).unwrap();
        assert!(v["error"]["command"].is_null() && v["error"]["jail"].is_null(), "{v}");
    }

    #[test]
    fn captured_runs_keep_what_was_printed_before_an_error() {
        let mut host = crate::host::SimHost::new(crate::sim::Sim::new(crate::sim::Kernel::demo()));
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = Ctx { paths: Paths::rooted(dir.path()), host: &mut host, lock_timeout: Duration::from_secs(5) };
        let out = Out::capture();
        let code = run_to(&s(&["vimage", "bridge", "jname=web1"]), &mut ctx, &out).unwrap();
        assert_eq!(code, 0);
        assert!(out.stdout().contains("jail web1: eth0 is up: host end epair0a on bridge0"), "{}", out.stdout());
        // In-process, Outcome keeps working for tests and benchmarks.
        let o = run(&s(&["vimage", "status", "--json"]), &mut ctx).unwrap();
        assert!(o.stdout.contains("\"schema\": 1"), "{}", o.stdout);
    }
}
