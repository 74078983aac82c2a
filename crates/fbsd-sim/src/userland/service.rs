//! `service` (usr.sbin/service/service.sh) and rc.subr's `run_rc_command` for the base rc.d
//! scripts the simulator has: `netif`, `routing` and `devfs` (see [`super::rcd`]).
//!
//! `service [-j jail] [-v] SCRIPT VERB [ARGS]` finds SCRIPT in `/etc/rc.d` or `local_startup`;
//! `-j` re-runs it inside the jail (`jexec -l`); `-l` lists the scripts. Any other script that
//! exists under the root is a shell script the simulator cannot run (exit 127, said so);
//! a missing one gets service.sh's "does not exist" text and exit 1. `-e`, `-r` and `-R`
//! (rcorder over every script) are not simulated.

use super::Proc;
use super::fs::Files;
use super::rcd;
use super::rcvars;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

/// The base scripts the simulator runs, as in /etc/rc.d.
pub(crate) const BASE_SCRIPTS: &[&str] = &["devfs", "netif", "routing"];

fn usage(p: &mut Proc) {
    p.out.push_str(
        "\nUsage:\nservice [-j <jail name or id>] -e\nservice [-j <jail name or id>] -R\nservice [-j <jail name or id>] [-v] -l | -r\nservice [-j <jail name or id>] [-v] <rc.d script> start|stop|etc.\nservice -h\n\n-j\tPerform actions within the named jail\n-e\tShow services that are enabled\n",
    );
    p.out.push_str("-R\tStop and start enabled /usr/local/etc/rc.d services\n");
    p.out.push_str("-l\tList all scripts in /etc/rc.d and /usr/local/etc/rc.d\n");
    p.out.push_str("-r\tShow the results of boot time rcorder\n-v\tVerbose\n\n");
}

/// Runs `service args` as process `ctx`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("service");
    let (mut jail, mut list, mut verbose) = (None, false, false);
    let mut g = super::getopt::Getopt::new(args, "j:ehlrRv");
    for o in g.by_ref() {
        use super::getopt::Opt;
        match o {
            Opt::Flag('j', a) => jail = a,
            Opt::Flag('h', _) => {
                usage(&mut p);
                return p.finish(0);
            }
            Opt::Flag('l', _) => list = true,
            Opt::Flag('v', _) => verbose = true,
            Opt::Flag(c, _) => {
                let _ = p.errx(1, &format!("-{c} is not simulated"));
                return p.finish(1);
            }
            Opt::Bad(m) => {
                p.warnx(&m);
                usage(&mut p);
                return p.finish(1);
            }
        }
    }
    let rest = g.rest();
    let ctx = match jail {
        None => ctx,
        // `/usr/sbin/jexec -l "${JAIL}" /usr/sbin/service $args "$@"`.
        Some(j) => match k.jail_getid(ctx, &j).ok().and_then(|jid| k.ctx_in_jail(jid)) {
            Some(c) => c,
            None => {
                let a = vec![j.clone(), "/usr/sbin/service".to_string()];
                return super::jexec::main(k, ctx, &a, None);
            }
        },
    };
    let files = Files::of(k, ctx);
    let vars = rcvars::load(&files, None);
    let local = vars.val("local_startup").to_string();
    if list {
        for dir in std::iter::once("/etc/rc.d").chain(local.split_whitespace()) {
            if verbose {
                p.out.push_str(&format!("From {dir}:\n"));
            }
            let mut names = files.list(dir);
            if dir == "/etc/rc.d" {
                names.extend(BASE_SCRIPTS.iter().map(|s| s.to_string()));
                names.sort();
                names.dedup();
            }
            for n in names {
                p.out.push_str(&format!("{n}\n"));
            }
        }
        return p.finish(0);
    }
    if rest.len() < 2 {
        usage(&mut p);
        return p.finish(1);
    }
    let script = rest[0].as_str();
    for dir in std::iter::once("/etc/rc.d").chain(local.split_whitespace()) {
        let base = dir == "/etc/rc.d" && BASE_SCRIPTS.contains(&script);
        if !base && !files.exists(&format!("{dir}/{script}")) {
            continue;
        }
        if verbose {
            p.out.push_str(&format!("{script} is located in {dir}\n"));
        }
        if !base {
            p.stderr(&format!("fbsd-sim: {dir}/{script} is a shell script the simulator does not run\n"));
            return p.finish(127);
        }
        let o = run_rc_command(k, ctx, script, &rest[1..]);
        p.out.push_str(&o.stdout);
        p.err.push_str(&o.stderr);
        return p.finish(o.code);
    }
    p.out.push_str(&format!(
        "{script} does not exist in /etc/rc.d or the local startup\ndirectories ({local}), or is not executable\n"
    ));
    p.finish(1)
}

/// What rc.subr knows about one script.
struct Script {
    name: &'static str,
    desc: &'static str,
    rcvar: Option<&'static str>,
    extra: &'static str,
}

fn script(name: &str) -> Option<Script> {
    match name {
        "netif" => Some(Script {
            name: "netif",
            desc: "Network interface setup",
            rcvar: Some("netif_enable"),
            extra: "cloneup clonedown clear vnetup vnetdown",
        }),
        "routing" => Some(Script { name: "routing", desc: "Routing setup", rcvar: None, extra: "options static" }),
        "devfs" => Some(Script { name: "devfs", desc: "Device filesystem", rcvar: None, extra: "" }),
        _ => None,
    }
}

/// rc.subr `run_rc_command ARG [EXTRA…]` for `/etc/rc.d/NAME`.
pub(crate) fn run_rc_command(k: &mut Kernel, ctx: Ctx, name: &str, args: &[String]) -> Output {
    let mut p = Proc::new("service");
    let Some(s) = script(name) else { return p.finish(127) };
    let path = format!("/etc/rc.d/{}", s.name);
    let mut keywords: Vec<&str> = vec![
        "start",
        "stop",
        "restart",
        "rcvar",
        "enable",
        "disable",
        "delete",
        "enabled",
        "describe",
        "extracommands",
    ];
    keywords.extend(s.extra.split_whitespace());
    let rc_usage = |p: &mut Proc| {
        p.stderr(&format!("Usage: {path} [fast|force|one|quiet]({})\n", keywords.join("|")));
    };
    let Some(raw) = args.first() else {
        rc_usage(&mut p);
        return p.finish(1);
    };
    let mut arg = raw.as_str();
    let (mut one, mut quiet) = (false, false);
    for (pre, flag) in [("fast", 0), ("force", 1), ("one", 2), ("quiet", 3)] {
        if let Some(a) = arg.strip_prefix(pre)
            && !a.is_empty()
        {
            arg = a;
            match flag {
                1 | 2 => one = true,
                3 => quiet = true,
                _ => {}
            }
            break;
        }
    }
    if !keywords.contains(&arg) {
        p.stderr(&format!("{path}: unknown directive '{raw}'.\n"));
        rc_usage(&mut p);
        return p.finish(1);
    }
    let files = Files::of(k, ctx);
    let vars = rcvars::load(&files, None);
    let extra: Vec<String> = args[1..].to_vec();
    if arg == "enabled" {
        let on = s.rcvar.is_some_and(|v| vars.yes(v));
        return p.finish(if on { 0 } else { 1 });
    }
    if let Some(rv) = s.rcvar
        && !one
        && !matches!(arg, "rcvar" | "delete" | "enable" | "describe" | "status")
        && !vars.yes(rv)
    {
        if !quiet {
            p.out.push_str(&format!(
                "Cannot '{arg}' {}. Set {rv} to YES in /etc/rc.conf or use 'one{arg}' instead of '{arg}'.\n",
                s.name
            ));
        }
        return p.finish(0);
    }
    match arg {
        "describe" => {
            p.out.push_str(&format!("{}\n", s.desc));
            p.finish(0)
        }
        "extracommands" => {
            p.out.push_str(&format!("{}\n", s.extra));
            p.finish(0)
        }
        "rcvar" => {
            p.out.push_str(&format!("# {} : {}\n#\n", s.name, s.desc));
            if let Some(rv) = s.rcvar {
                p.out.push_str(&format!("{rv}=\"{}\"\n#   (default: \"\")\n", vars.val(rv)));
            }
            p.out.push('\n');
            p.finish(0)
        }
        "enable" | "disable" | "delete" => match s.rcvar {
            Some(rv) => {
                let a: Vec<String> = match arg {
                    "delete" => vec!["-x".into(), rv.into()],
                    _ => vec![format!("{rv}={}", if arg == "enable" { "YES" } else { "NO" })],
                };
                let o = super::sysrc::main(k, ctx, &a);
                if o.code == 0 {
                    let word = if arg == "delete" {
                        "deleted in"
                    } else if arg == "enable" {
                        "enabled in"
                    } else {
                        "disabled in"
                    };
                    let who = if arg == "delete" { rv } else { s.name };
                    p.out.push_str(&format!("{who} {word} /etc/rc.conf\n"));
                }
                p.err.push_str(&o.stderr);
                p.finish(o.code)
            }
            None => p.finish(0),
        },
        "restart" => {
            // `( run_rc_command stop )` then `( run_rc_command start )`: the status is start's.
            let stop = rcd::run(k, ctx, s.name, "stop", &extra, &vars);
            let start = rcd::run(k, ctx, s.name, "start", &extra, &rcvars::load(&Files::of(k, ctx), None));
            p.out.push_str(&stop.stdout);
            p.err.push_str(&stop.stderr);
            p.out.push_str(&start.stdout);
            p.err.push_str(&start.stderr);
            p.finish(start.code)
        }
        verb => {
            let o = rcd::run(k, ctx, s.name, verb, &extra, &vars);
            p.out.push_str(&o.stdout);
            p.err.push_str(&o.stderr);
            p.finish(o.code)
        }
    }
}
