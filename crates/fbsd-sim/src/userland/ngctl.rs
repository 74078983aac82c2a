//! `ngctl` (usr.sbin/ngctl/main.c and one file per command): options `-d -f -j -n`, its own
//! socket node `ngctl<pid>`, commands from argv or from a file (`-f -` reads stdin; the
//! or the file under the simulator's root, see `super::fs`), prefix-matched command names and aliases, and the exit codes:
//! 0, 64 (`CMDRTN_USAGE` → EX_USAGE), 71 (`CMDRTN_ERROR` → EX_OSERR).
//!
//! A batch stops at the first command that does not succeed, with `ngctl: line N: error in
//! file` after that command's own message (main.c `ReadFile`).

use super::Proc;
use super::getopt::{Getopt, Opt};
use super::ngctl_cmds::{CmdCtx, Rtn, run_command};
use crate::kernel::netgraph::NG_NODESIZ;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

/// EX_USAGE, EX_NOINPUT, EX_NOHOST, EX_OSERR (sysexits.h).
const EX_USAGE: i32 = 64;
const EX_NOINPUT: i32 = 66;
const EX_NOHOST: i32 = 68;
const EX_OSERR: i32 = 71;

/// main.c `Usage()` (current: with `-j`).
const USAGE: &str = "usage: ngctl [-j jail] [-d] [-f filename] [-n nodename] [command [argument ...]]\n";

/// `WHITESPACE` in main.c: how lines are split into words (`strtok`).
const WHITESPACE: &[char] = &[' ', '\t', '\r', '\n', '\x0b', '\x0c'];

fn usage(p: &mut Proc, msg: Option<&str>) -> i32 {
    if let Some(m) = msg {
        p.warnx(m);
    }
    p.stderr(USAGE);
    EX_USAGE
}

/// Runs `ngctl args` as process `ctx`; `stdin` is what `-f -` reads.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String], stdin: Option<&str>) -> Output {
    let mut p = Proc::new("ngctl");
    let code = run(k, ctx, args, stdin, &mut p);
    p.finish(code)
}

fn run(k: &mut Kernel, ctx: Ctx, args: &[String], stdin: Option<&str>, p: &mut Proc) -> i32 {
    let pid = k.next_pid();
    let mut name = format!("ngctl{pid}");
    let mut file: Option<String> = None;
    let mut jail: Option<String> = None;
    let mut g = Getopt::new(args, "df:j:n:");
    for o in g.by_ref() {
        match o {
            Opt::Flag('f', Some(f)) => file = Some(f),
            Opt::Flag('j', Some(j)) => jail = Some(j),
            Opt::Flag('n', Some(n)) => name = n.chars().take(NG_NODESIZ - 1).collect(),
            Opt::Flag(_, _) => {}
            Opt::Bad(m) => {
                p.warnx(&m);
                return usage(p, None);
            }
        }
    }
    let rest = g.rest();
    let input = match file.as_deref() {
        None => None,
        Some("-") => Some(stdin.unwrap_or_default().to_string()),
        // main.c: `fopen(optarg, "r")` or `err(EX_NOINPUT, "%s", optarg)`, before `-j`.
        Some(f) => match super::fs::Files::of(k, ctx).read(f) {
            Ok(t) => Some(t),
            Err(e) => {
                let _ = p.err(EX_NOINPUT, f, e);
                return EX_NOINPUT;
            }
        },
    };
    let ctx = match jail {
        None => ctx,
        Some(j) if j.is_empty() => return usage(p, Some("invalid jail name")),
        Some(j) => match k.jail_getid(ctx, &j).ok().and_then(|jid| k.ctx_in_jail(jid)) {
            Some(c) => c,
            None => {
                let msg = k.jail_getid(ctx, &j).err().unwrap_or_else(|| "cannot attach to jail".into());
                p.warnx(&msg);
                return EX_NOHOST;
            }
        },
    };
    let sock = match k.ng_socket_open(ctx, &name) {
        Ok(s) => s,
        Err(e) => {
            let _ = p.err(EX_OSERR, "can't create node", e);
            return EX_OSERR;
        }
    };
    let mut c = CmdCtx { k, ctx, sock, p };
    let rtn = if rest.is_empty() {
        match input {
            Some(text) => read_file(&mut c, &text),
            // Neither a tty nor a file: `Usage("no command specified")` exits right away.
            None => {
                let code = usage(c.p, Some("no command specified"));
                c.k.ng_socket_close(ctx.vnet, sock);
                return code;
            }
        }
    } else {
        do_command(&mut c, rest)
    };
    c.k.ng_socket_close(ctx.vnet, sock);
    match rtn {
        Rtn::Ok | Rtn::Quit => 0,
        Rtn::Usage => EX_USAGE,
        Rtn::Error => EX_OSERR,
    }
}

/// main.c `ReadFile`: one command per line, `#` lines skipped, stop at the first failure.
fn read_file(c: &mut CmdCtx<'_>, text: &str) -> Rtn {
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let words: Vec<String> = line.split(WHITESPACE).filter(|w| !w.is_empty()).map(str::to_string).collect();
        let rtn = do_command(c, &words);
        if rtn != Rtn::Ok {
            c.p.warnx(&format!("line {}: error in file", i + 1));
            return rtn;
        }
    }
    Rtn::Ok
}

/// main.c `DoCommand`: find the command, run it, print its usage on `CMDRTN_USAGE`.
fn do_command(c: &mut CmdCtx<'_>, words: &[String]) -> Rtn {
    if words.is_empty() || words[0].is_empty() {
        return Rtn::Ok;
    }
    run_command(c, words)
}
