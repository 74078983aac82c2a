//! ngctl's commands (usr.sbin/ngctl/{connect,list,mkpeer,msg,name,rmhook,show,shutdown}.c):
//! usage strings, aliases, argument checks and output formats.

use super::Proc;
use super::getopt::{Getopt, Opt};
use crate::Errno;
use crate::kernel::netgraph::{NG_HOOKSIZ, NG_NODESIZ, NG_TYPESIZ, NodeInfo};
use crate::kernel::{Ctx, Kernel};
use std::fmt::Write;

/// `CMDRTN_*` (ngctl.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rtn {
    Ok,
    Usage,
    Error,
    Quit,
}

/// What a command runs with: the kernel, the process's context and socket node, its output.
pub(crate) struct CmdCtx<'a> {
    pub k: &'a mut Kernel,
    pub ctx: Ctx,
    pub sock: u32,
    pub p: &'a mut Proc,
}

/// One `struct ngcmd`: usage line (its first word is the name) and aliases.
struct NgCmd {
    usage: &'static str,
    aliases: &'static [&'static str],
}

/// main.c `cmds[]`, in its order (which decides nothing but help output).
const CMDS: &[NgCmd] = &[
    NgCmd { usage: "config <path> [arguments]", aliases: &[] },
    NgCmd { usage: "connect [path] <relpath> <hook> <peerhook>", aliases: &["join"] },
    NgCmd { usage: "debug [level]", aliases: &[] },
    NgCmd { usage: "dot [-c] [outputfile]", aliases: &[] },
    NgCmd { usage: "help [command]", aliases: &["?"] },
    NgCmd { usage: "list [-ln]", aliases: &["ls"] },
    NgCmd { usage: "mkpeer [path] <type> <hook> <peerhook>", aliases: &[] },
    NgCmd { usage: "msg path command [args ... ]", aliases: &["cmd"] },
    NgCmd { usage: "name <path> <name>", aliases: &[] },
    NgCmd { usage: "read <filename>", aliases: &["source", "."] },
    NgCmd { usage: "rmhook [path] <hook>", aliases: &["disconnect"] },
    NgCmd { usage: "show [-n] <path>", aliases: &["inquire", "info"] },
    NgCmd { usage: "shutdown <path>", aliases: &["kill", "rmnode"] },
    NgCmd { usage: "status <path>", aliases: &[] },
    NgCmd { usage: "types", aliases: &[] },
    NgCmd { usage: "write hook < -f file | byte ... >", aliases: &[] },
    NgCmd { usage: "quit", aliases: &["exit"] },
];

impl NgCmd {
    fn name(&self) -> &'static str {
        self.usage.split(' ').next().unwrap_or(self.usage)
    }

    /// main.c `MatchCommand`: a case-insensitive prefix of the name, or of an alias.
    fn matches(&self, s: &str) -> bool {
        let prefix =
            |full: &str| s.len() <= full.len() && full.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes());
        prefix(self.name()) || self.aliases.iter().any(|a| prefix(a))
    }
}

/// main.c `FindCommand` and `DoCommand`.
pub(crate) fn run_command(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    let found: Vec<&NgCmd> = CMDS.iter().filter(|cmd| cmd.matches(&av[0])).collect();
    let cmd = match found.as_slice() {
        [one] => *one,
        [] => {
            c.p.warnx(&format!("\"{}\": unknown command", av[0]));
            return Rtn::Error;
        }
        _ => {
            c.p.warnx(&format!("\"{}\": ambiguous command", av[0]));
            return Rtn::Error;
        }
    };
    let rtn = match cmd.name() {
        "connect" => connect(c, av),
        "list" => list(c, av),
        "mkpeer" => mkpeer(c, av),
        "msg" => msg(c, av),
        "name" => name(c, av),
        "rmhook" => rmhook(c, av),
        "show" => show(c, av),
        "shutdown" => shutdown(c, av),
        "types" => types(c, av),
        "dot" => dot(c, av),
        "quit" => Rtn::Quit,
        other => {
            // config, debug, help, read, status, write: not part of the model.
            c.p.warnx(&format!("{other}: not simulated"));
            Rtn::Error
        }
    };
    if rtn == Rtn::Usage {
        c.p.warnx(&format!("usage: {}", cmd.usage));
    }
    rtn
}

/// `snprintf` into a fixed-size field: longer values are cut.
fn fit(s: &str, size: usize) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if out.len() + ch.len_utf8() > size - 1 {
            break;
        }
        out.push(ch);
    }
    out
}

/// `warn("send msg")` and CMDRTN_ERROR.
fn send_err(c: &mut CmdCtx<'_>, e: Errno) -> Rtn {
    c.p.warn("send msg", e);
    Rtn::Error
}

fn done(c: &mut CmdCtx<'_>, r: Result<(), Errno>) -> Rtn {
    match r {
        Ok(()) => Rtn::Ok,
        Err(e) => send_err(c, e),
    }
}

/// mkpeer.c: `mkpeer [path] <type> <hook> <peerhook>`.
fn mkpeer(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    let (path, rest) = match av.len() {
        5 => (av[1].as_str(), &av[2..]),
        4 => (".", &av[1..]),
        _ => return Rtn::Usage,
    };
    let (ty, h, ph) = (fit(&rest[0], NG_TYPESIZ), fit(&rest[1], NG_HOOKSIZ), fit(&rest[2], NG_HOOKSIZ));
    let r = c.k.ng_mkpeer(c.ctx, c.sock, path, &ty, &h, &ph);
    done(c, r)
}

/// connect.c: `connect [path] <relpath> <hook> <peerhook>`.
fn connect(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    let (path, rest) = match av.len() {
        5 => (av[1].as_str(), &av[2..]),
        4 => (".", &av[1..]),
        _ => return Rtn::Usage,
    };
    let (h, ph) = (fit(&rest[1], NG_HOOKSIZ), fit(&rest[2], NG_HOOKSIZ));
    let r = c.k.ng_connect(c.ctx, c.sock, path, &rest[0], &h, &ph);
    done(c, r)
}

/// name.c: `name <path> <name>` (the name is cut to 31 bytes, as `snprintf` does).
fn name(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    if av.len() != 3 {
        return Rtn::Usage;
    }
    let n = fit(&av[2], NG_NODESIZ);
    let r = c.k.ng_name(c.ctx, c.sock, &av[1], &n);
    done(c, r)
}

/// rmhook.c: `rmhook [path] <hook>`.
fn rmhook(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    let (path, hook) = match av.len() {
        3 => (av[1].as_str(), &av[2]),
        2 => (".", &av[1]),
        _ => return Rtn::Usage,
    };
    let h = fit(hook, NG_HOOKSIZ);
    let r = c.k.ng_rmhook(c.ctx, c.sock, path, &h);
    done(c, r)
}

/// shutdown.c: `shutdown <path>`; its error has its own prefix (`warn("shutdown")`).
fn shutdown(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    if av.len() != 2 {
        return Rtn::Usage;
    }
    match c.k.ng_shutdown(c.ctx, c.sock, &av[1]) {
        Ok(()) => Rtn::Ok,
        Err(e) => {
            c.p.warn("shutdown", e);
            Rtn::Error
        }
    }
}

/// msg.c: the words after the command are joined with single spaces; a reply is printed as
/// `Rec'd response "CMD" (NUM) from "[ID]:":` and `Args:\t…` (or `No arguments`).
fn msg(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    if av.len() < 3 {
        return Rtn::Usage;
    }
    let args = av[3..].join(" ");
    match c.k.ng_msg(c.ctx, c.sock, &av[1], &av[2], &args) {
        Ok(None) => Rtn::Ok,
        Ok(Some(r)) => {
            let _ = writeln!(c.p.out, "Rec'd response \"{}\" ({}) from \"[{:x}]:\":", r.cmdstr, r.cmd, r.from);
            if r.args.is_empty() {
                c.p.out.push_str("No arguments\n");
            } else {
                let _ = writeln!(c.p.out, "Args:\t{}", r.args);
            }
            Rtn::Ok
        }
        Err(e) => send_err(c, e),
    }
}

fn info_line(out: &mut String, n: &NodeInfo) {
    let name = n.name.as_deref().unwrap_or("<unnamed>");
    let _ = writeln!(out, "  Name: {name:<15} Type: {:<15} ID: {:08x}   Num hooks: {}", n.type_name, n.id, n.hooks);
}

/// show.c `FMT`.
fn hook_row(out: &mut String, a: &str, b: &str, c: &str, d: &str, e: &str) {
    let _ = writeln!(out, "  {a:<15} {b:<15} {c:<12} {d:<15} {e:<15}");
}

/// show.c: `show [-n] <path>` (`NGM_LISTHOOKS`; `-n` only leaves the hook table out).
fn show(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    let mut no_hooks = false;
    let mut g = Getopt::new(&av[1..], "n");
    for o in g.by_ref() {
        match o {
            Opt::Flag('n', _) => no_hooks = true,
            Opt::Bad(m) => {
                c.p.warnx(&m);
                return Rtn::Usage;
            }
            Opt::Flag(..) => return Rtn::Usage,
        }
    }
    let [path] = g.rest() else { return Rtn::Usage };
    let (ni, links) = match c.k.ng_listhooks(c.ctx.vnet, c.sock, path) {
        Ok(x) => x,
        Err(e) => return send_err(c, e),
    };
    info_line(&mut c.p.out, &ni);
    if !no_hooks && ni.hooks > 0 {
        hook_row(&mut c.p.out, "Local hook", "Peer name", "Peer type", "Peer ID", "Peer hook");
        hook_row(&mut c.p.out, "----------", "---------", "---------", "-------", "---------");
        for l in links {
            let id = format!("{:08x}", l.peer.id);
            hook_row(
                &mut c.p.out,
                &l.ourhook,
                l.peer.name.as_deref().unwrap_or("<unnamed>"),
                l.peer.type_name,
                &id,
                &l.peerhook,
            );
        }
    }
    Rtn::Ok
}

/// types.c: `There are N total types:` and one `%15s   %5d` row per type.
fn types(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    if av.len() != 1 {
        return Rtn::Usage;
    }
    let list = c.k.ng_listtypes();
    let _ = writeln!(c.p.out, "There are {} total types:", list.len());
    if !list.is_empty() {
        let _ = writeln!(c.p.out, "{:>15}   Number of living nodes", "Type name");
        let _ = writeln!(c.p.out, "{:>15}   ----------------------", "---------");
    }
    for (t, n) in list {
        let _ = writeln!(c.p.out, "{t:>15}   {n:>5}");
    }
    Rtn::Ok
}

/// dot.c: the whole graph as GraphViz, to stdout or to `outputfile`. (`-c`, in this
/// command's usage line, is not in the dot.c the simulator was written from: refused.)
fn dot(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    let mut g = Getopt::new(&av[1..], "");
    if let Some(o) = g.next() {
        if let Opt::Bad(m) = o {
            c.p.warnx(&m);
        }
        return Rtn::Usage;
    }
    let file = match g.rest() {
        [] => None,
        [f] => Some(f.clone()),
        _ => return Rtn::Usage,
    };
    let nodes = match c.k.ng_listnodes(c.ctx.vnet, false) {
        Ok(n) => n,
        Err(e) => {
            c.p.warn("send listnodes msg", e);
            return Rtn::Error;
        }
    };
    let mut o =
        String::from("graph netgraph {\n\tedge [ weight = 1.0 ];\n\tnode [ shape = record, fontsize = 12 ] {\n");
    for n in &nodes {
        let name = n.name.clone().unwrap_or_else(|| "\\<unnamed\\>".to_string());
        let _ = writeln!(o, "\t\t\"{:x}\" [ label = \"{{{name}:|{{{}|[{:x}]:}}}}\" ];", n.id, n.type_name, n.id);
    }
    o.push_str("\t};\n\tsubgraph cluster_disconnected {\n\t\tbgcolor = pink;\n");
    for n in nodes.iter().filter(|n| n.hooks == 0) {
        let _ = writeln!(o, "\t\t\"{:x}\";", n.id);
    }
    o.push_str("\t};\n");
    for n in &nodes {
        let Ok((info, links)) = c.k.ng_listhooks(c.ctx.vnet, c.sock, &format!("[{:x}]:", n.id)) else {
            c.p.warn("send listhooks msg", Errno::ENOENT);
            return Rtn::Error;
        };
        if info.hooks == 0 {
            continue;
        }
        o.push_str("\tnode [ shape = octagon, fontsize = 10 ] {\n");
        for l in &links {
            let _ = writeln!(o, "\t\t\"{:x}.{}\" [ label = \"{}\" ];", n.id, l.ourhook, l.ourhook);
        }
        o.push_str("\t};\n\t{\n\t\tedge [ weight = 2.0, style = bold ];\n");
        for l in &links {
            let _ = writeln!(o, "\t\t\"{:x}\" -- \"{:x}.{}\";", n.id, n.id, l.ourhook);
        }
        o.push_str("\t};\n");
        for l in links.iter().filter(|l| l.peer.id <= n.id) {
            let _ = writeln!(o, "\t\"{:x}.{}\" -- \"{:x}.{}\";", n.id, l.ourhook, l.peer.id, l.peerhook);
        }
    }
    o.push_str("};\n");
    match file {
        None => c.p.out.push_str(&o),
        Some(f) => {
            if let Err(e) = super::fs::Files::of(c.k, c.ctx).write(&f, &o) {
                c.p.warn(&format!("Could not open {f} for writing"), e);
                return Rtn::Error;
            }
        }
    }
    Rtn::Ok
}

/// list.c: `list [-ln]` (`NGM_LISTNODES` or, with `-n`, `NGM_LISTNAMES`; `-l` shows each node,
/// as `show [ID]:` does).
fn list(c: &mut CmdCtx<'_>, av: &[String]) -> Rtn {
    let (mut long, mut named) = (false, false);
    let mut g = Getopt::new(&av[1..], "ln");
    for o in g.by_ref() {
        match o {
            Opt::Flag('l', _) => long = true,
            Opt::Flag('n', _) => named = true,
            Opt::Bad(m) => {
                c.p.warnx(&m);
                return Rtn::Usage;
            }
            Opt::Flag(..) => return Rtn::Usage,
        }
    }
    if !g.rest().is_empty() {
        return Rtn::Usage;
    }
    let nodes = match c.k.ng_listnodes(c.ctx.vnet, named) {
        Ok(n) => n,
        Err(e) => return send_err(c, e),
    };
    let _ = writeln!(c.p.out, "There are {} total {}nodes:", nodes.len(), if named { "named " } else { "" });
    for n in &nodes {
        if long {
            let av = vec!["show".to_string(), format!("[{:x}]:", n.id)];
            let r = show(c, &av);
            if r != Rtn::Ok {
                return r;
            }
        } else {
            info_line(&mut c.p.out, n);
        }
    }
    Rtn::Ok
}
