//! `vimage construct`: make a new vnet jail for CBSD from answers (keys or the wizard).
//!
//! The answers become a [`JailSpec`] (pure, in `crate::construct`), the spec a jconf written
//! atomically, and the jconf a jail through `cbsd jcreate` (via the [`Host`] seam, so tests
//! put a stand-in `cbsd` in `VIMAGE_CMD_DIR`). What CBSD has no column for (netgraph mode and
//! its uplinks) is stored afterwards with `vimage set`, run as this same binary with an argv,
//! never through a shell.

use super::args::Args;
use super::{Ctx, Out, wizard};
use crate::cbsd::{Inventory, Workdir};
use crate::construct::{self, Answers, Defaults, JailSpec, SpecError};
use crate::error::{Error, Kind, Result};
use crate::host::{Cmd, Output, Program, sh_quote};
use crate::model::JailName;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Asks what was not given (only on a terminal, only without jname= or --yes), validates,
/// writes the jconf, and creates the jail or says how to.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, stdout: &Out) -> Result<i32> {
    let k: super::typed::ConstructKeys = a.keys()?;
    let yes = k.yes;
    let create_key = k.create;
    let out_key = k.out.clone();
    let mut answers = answers_from(k);
    let wd = Workdir::from_paths(&ctx.paths);
    let defaults = defaults(wd.as_ref(), a.quiet, stdout);
    let tty = std::io::stdin().is_terminal();
    let interactive = answers.jname.is_none() && !yes && tty;
    if interactive {
        wizard::ask(&mut answers, &defaults, wd.as_ref())?;
    }
    let spec = JailSpec::build(&answers, &defaults).map_err(|e| spec_error(e, yes, tty))?;
    construct::refuse_existing(wd.as_ref(), &spec.jname)?;
    let out = out_path(out_key.as_deref(), wd.as_ref(), &spec.jname)?;
    let create = match create_key {
        Some(c) => c,
        None if interactive => wizard::confirm_create(&spec, &out, wd.is_some())?,
        None => yes,
    };
    let text = construct::render(&spec)?;
    crate::shvars::write_atomic(&out, text.as_bytes())?;
    stdout.line(format!("wrote {} (template {})", out.display(), construct::template_name(&spec)));
    let jcreate = Cmd::new(Program::Cbsd, ["jcreate".to_string(), format!("jconf={}", out.display())]);
    let set = construct::set_args(&spec);
    if !create {
        stdout.line("to create the jail, run:");
        stdout.line(format!("  {jcreate}"));
        if let Some(args) = &set {
            stdout.line(format!("  {}", self_line(args)));
        }
        return Ok(0);
    }
    let o = ctx.host.run(&jcreate).map_err(|e| kept(Error::from(e), &out))?;
    if !o.ok() {
        return Err(kept(failed(&jcreate.to_string(), &o), &out).in_jail(&spec.jname));
    }
    stdout.line(format!("ran {jcreate}"));
    stdout.print(&indent(&o.stdout));
    if let Some(args) = &set {
        let line = self_line(args);
        let o = run_self(args)?;
        if !o.ok() {
            return Err(failed(&line, &o)
                .in_jail(&spec.jname)
                .detail("the jail was created; make it a vimage jail by running that command again"));
        }
        stdout.line(format!("ran {line}"));
    }
    stdout.line(format!("jail {} created; start it with: cbsd jstart {}", spec.jname, spec.jname));
    Ok(0)
}

/// The keys as given; an empty value counts as given (and is then refused by validation).
fn answers_from(k: super::typed::ConstructKeys) -> Answers {
    Answers {
        jname: k.jname,
        host_hostname: k.host_hostname,
        mode: k.mode,
        interface: k.interface,
        bridges: k.bridges,
        ip4_addr: k.ip4_addr,
        ci_gw4: k.ci_gw4,
        devfs_ruleset: k.devfs_ruleset,
    }
}

/// Defaults from `${workdir}/nc.inventory`; without a workdir, or with an unreadable
/// inventory (said on stderr), CBSD's own defaults.
fn defaults(wd: Option<&Workdir>, quiet: bool, out: &Out) -> Defaults {
    let Some(wd) = wd else { return Defaults::default() };
    match Inventory::read(&wd.inventory()) {
        Ok(inv) => Defaults::from_inventory(&inv),
        Err(e) => {
            if !quiet {
                out.err_line(format!("vimage construct: {e}; using CBSD's defaults (domain my.domain, uplink auto)"));
            }
            Defaults::default()
        }
    }
}

/// A missing key is a usage error (64) that says why nothing was asked; a bad value is 65.
fn spec_error(e: SpecError, yes: bool, tty: bool) -> Error {
    match e {
        SpecError::Missing(k) => {
            let why = if yes {
                "--yes was given, so vimage construct asks nothing"
            } else if !tty {
                "stdin is not a terminal, so vimage construct cannot ask"
            } else {
                "it has no default"
            };
            Error::new(Kind::Usage, format!("{k}= is required: {why}"))
                .detail(format!("give it as {k}=..., or run vimage construct on a terminal to be asked"))
                .detail("see: vimage construct --help")
        }
        SpecError::Invalid(k, why) => Error::new(Kind::Data, format!("{k}=: {why}")),
    }
}

/// `out=`, else `${workdir}/tmp/<jname>.jconf`, else `./<jname>.jconf`; made absolute so the
/// path given to `cbsd jcreate` and printed for the admin means the same everywhere.
fn out_path(out: Option<&str>, wd: Option<&Workdir>, jname: &JailName) -> Result<PathBuf> {
    let p = match (out, wd) {
        (Some(""), _) => return Err(Error::new(Kind::Usage, "out= is empty")),
        (Some(o), _) => PathBuf::from(o),
        (None, Some(w)) => w.tmpdir().join(format!("{jname}.jconf")),
        (None, None) => PathBuf::from(format!("{jname}.jconf")),
    };
    if p.is_absolute() {
        return Ok(p);
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(Kind::CantCreate, format!("cannot resolve {}: {e}", p.display())))?;
    Ok(cwd.join(p))
}

fn kept(e: Error, out: &Path) -> Error {
    e.detail(format!("the jconf is kept: {}", out.display()))
}

fn failed(line: &str, o: &Output) -> Error {
    let mut e = Error::new(Kind::Os, format!("`{line}` failed (exit {})", o.code)).command(line, o.code, &o.stderr);
    for l in o.stderr.lines().chain(o.stdout.lines()).filter(|l| !l.trim().is_empty()).take(20) {
        e = e.detail(l.trim_end().to_string());
    }
    e
}

fn indent(text: &str) -> String {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| format!("  {l}\n")).collect()
}

/// `vimage set ...` as an admin would type it.
fn self_line(args: &[String]) -> String {
    let mut s = String::from("vimage");
    for a in args {
        s.push(' ');
        s.push_str(&sh_quote(a));
    }
    s
}

/// The program that runs `vimage set`: `$VIMAGE_CMD_DIR/vimage` when that exists (tests put a
/// recorder there, as they put stand-ins for ifconfig and cbsd), else this very binary.
fn self_program() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("VIMAGE_CMD_DIR").filter(|d| !d.is_empty()) {
        let p = PathBuf::from(dir).join("vimage");
        if p.is_file() {
            return Ok(p);
        }
    }
    std::env::current_exe().map_err(|e| Error::new(Kind::Os, format!("cannot find vimage's own binary: {e}")))
}

/// Runs vimage itself with `args` (stdin closed, output captured).
fn run_self(args: &[String]) -> Result<Output> {
    let prog = self_program()?;
    let o = Command::new(&prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(Kind::Os, format!("cannot run {}: {e}", prog.display())))?;
    Ok(Output {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_paths_are_absolute_and_follow_workdir() {
        let j = JailName::parse("web3").unwrap();
        let wd = Workdir::new("/usr/jails");
        assert_eq!(out_path(None, Some(&wd), &j).unwrap(), PathBuf::from("/usr/jails/tmp/web3.jconf"));
        assert_eq!(out_path(Some("/x/y.jconf"), Some(&wd), &j).unwrap(), PathBuf::from("/x/y.jconf"));
        assert!(out_path(None, None, &j).unwrap().is_absolute());
        assert!(out_path(Some("rel.jconf"), None, &j).unwrap().ends_with("rel.jconf"));
        assert_eq!(out_path(Some(""), None, &j).unwrap_err().kind, Kind::Usage);
    }

    #[test]
    fn missing_keys_are_usage_errors_that_say_why_nothing_was_asked() {
        let e = spec_error(SpecError::Missing("jname"), false, false);
        assert_eq!(e.exit_code(), 64);
        assert!(e.message.contains("jname=") && e.message.contains("not a terminal"), "{e}");
        assert!(spec_error(SpecError::Missing("jname"), true, true).message.contains("--yes"));
        let bad = SpecError::Invalid("mode", crate::model::Invalid("no".into()));
        assert_eq!(spec_error(bad, false, false).exit_code(), 65);
    }

    #[test]
    fn self_line_quotes_like_sh() {
        let args: Vec<String> = ["set", "jname=ng1", "mode=netgraph", "bridges=em0 em1"].map(String::from).to_vec();
        assert_eq!(self_line(&args), "vimage set jname=ng1 mode=netgraph 'bridges=em0 em1'");
    }
}
