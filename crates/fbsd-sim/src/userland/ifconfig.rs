//! `ifconfig` (sbin/ifconfig/ifconfig.c `main`): options, listing (`-a`, `-l`, `-g`, `-G`),
//! one interface's status, `create`, `-vnet`, and `-j jail` on 14.x.

use super::getopt::{Getopt, Opt};
use super::ifconfig_params::Apply;
use super::ifconfig_status::{Af, af_by_name, if_flags, status};
use super::{Exit, Proc, fnmatch};
use crate::Errno;
use crate::kernel::ifnet::{IFNAMSIZ, iff};
use crate::kernel::{AVAILABLE_MODULES, Ctx, IfId, Kernel};
use vimage_base::Output;

/// Usage text; `-j` appears from 14.0 on.
fn usage(p: &mut Proc, with_j: bool) -> Exit {
    let j = if with_j { "[-j jail] " } else { "" };
    let o = "[-g groupname] [-C] ";
    p.stderr(&format!(
        "usage: ifconfig {j}[-f type:format] {o}interface address_family\n\
         \x20               [address [dest_address]] [parameters]\n\
         \x20      ifconfig {j}interface create\n\
         \x20      ifconfig {j}-a {o}[-d] [-m] [-u] [-v] [address_family]\n\
         \x20      ifconfig {j}-l [-d] [-u] [address_family]\n\
         \x20      ifconfig {j}{o}[-d] [-m] [-u] [-v]\n"
    ));
    Exit(1)
}

/// Runs `ifconfig args` as process `ctx`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("ifconfig");
    let mut print_name: Option<String> = None;
    let r = run(k, ctx, args, &mut p, &mut print_name);
    // atexit(printifnamemaybe): printed even when a later parameter failed.
    if let Some(n) = print_name {
        p.out.push_str(&n);
        p.out.push('\n');
    }
    p.finish_with(r)
}

#[derive(Default)]
struct Opts {
    all: bool,
    downonly: bool,
    uponly: bool,
    namesonly: bool,
    supmedia: bool,
    noload: bool,
    matchgroup: Option<String>,
    nogroup: Option<String>,
    jail: Option<String>,
}

fn run(k: &mut Kernel, ctx: Ctx, args: &[String], p: &mut Proc, print_name: &mut Option<String>) -> Result<(), Exit> {
    let has_j = k.osreldate() >= 1_400_000;
    let optstring = if has_j { "G:adf:j:klmnuvg:C" } else { "G:adf:klmnuvg:C" };
    let mut o = Opts::default();
    let mut g = Getopt::new(args, optstring);
    for opt in g.by_ref() {
        match opt {
            Opt::Bad(msg) => {
                p.warnx(&msg);
                return Err(usage(p, has_j));
            }
            Opt::Flag(c, arg) => match c {
                'a' => o.all = true,
                'd' => o.downonly = true,
                'u' => o.uponly = true,
                'l' => o.namesonly = true,
                'm' => o.supmedia = true,
                'n' => o.noload = true,
                'j' => o.jail = arg,
                'G' => {
                    if !o.all {
                        return Err(usage(p, has_j));
                    }
                    o.nogroup = arg;
                }
                'g' if o.all => o.matchgroup = arg,
                'g' => {
                    // ifgroup.c printgroup: members of the group, one per line, then exit 0.
                    let grp = arg.unwrap_or_default();
                    for id in k.ifnets_in(ctx.vnet) {
                        if let Some(i) = k.ifp(id)
                            && (grp == "all" || i.groups.contains(&grp))
                        {
                            p.out.push_str(&i.name);
                            p.out.push('\n');
                        }
                    }
                    return Ok(());
                }
                'C' => {
                    p.out.push_str(&k.cloner_names().join(" "));
                    p.out.push('\n');
                    return Ok(());
                }
                _ => {}
            },
        }
    }
    let rest = g.rest();
    let ctx = match &o.jail {
        None => ctx,
        Some(j) => {
            // 14.x ifconfig.c: Perror("jail not found") after jail_getid fails (unverified).
            let jid = k.jail_getid(ctx, j).map_err(|_| p.err(1, "jail not found", Errno::ENOENT))?;
            k.ctx_in_jail(jid).ok_or_else(|| p.err(1, "cannot attach to jail", Errno::EINVAL))?
        }
    };
    if o.namesonly && (o.all || o.supmedia) {
        return Err(usage(p, has_j));
    }
    if o.uponly && o.downonly {
        return Err(usage(p, has_j));
    }
    if !o.namesonly && rest.is_empty() {
        o.all = true;
    }
    if o.all || o.namesonly {
        if rest.len() > 1 {
            return Err(usage(p, has_j));
        }
        let af = match rest.first() {
            None => None,
            Some(a) => match af_by_name(a) {
                Some(af) => Some(af),
                None => {
                    p.warnx(&format!("Address family '{a}' unknown."));
                    return Err(usage(p, has_j));
                }
            },
        };
        list(k, ctx, &o, af, p);
        return Ok(());
    }
    single(k, ctx, &o, rest, p, print_name)
}

/// `ifconfig IF …`.
fn single(
    k: &mut Kernel,
    ctx: Ctx,
    o: &Opts,
    rest: &[String],
    p: &mut Proc,
    print_name: &mut Option<String>,
) -> Result<(), Exit> {
    let ifname = rest[0].as_str();
    let mut argv = &rest[1..];
    if !o.noload {
        ifmaybeload(k, ctx, ifname);
    }
    let first = argv.first().map(String::as_str);
    if k.ifunit(ctx.vnet, ifname).is_none() {
        if matches!(first, Some("create") | Some("plumb")) {
            if ifname.len() >= IFNAMSIZ {
                return Err(p.errx(1, &format!("{ifname}: cloning name too long")));
            }
            return apply(k, ctx, p, ifname, None, argv, true, print_name);
        }
        if first == Some("-vnet") {
            if ifname.len() >= IFNAMSIZ {
                return Err(p.errx(1, &format!("{ifname}: interface name too long")));
            }
            return apply(k, ctx, p, ifname, None, argv, false, print_name);
        }
        return Err(p.errx(1, &format!("interface {ifname} does not exist")));
    }
    if matches!(first, Some("create") | Some("plumb")) {
        if argv.len() == 1 {
            return Err(p.errx(1, &format!("interface {ifname} already exists")));
        }
        argv = &argv[1..];
    }
    let mut af = None;
    if let Some(a) = argv.first().and_then(|w| af_by_name(w)) {
        af = Some(a);
        argv = &argv[1..];
    }
    if !argv.is_empty() {
        let up = k.ifunit(ctx.vnet, ifname).and_then(|id| k.ifp(id)).is_some_and(|i| i.up);
        if (o.downonly && up) || (o.uponly && !up) {
            return Ok(());
        }
        return apply(k, ctx, p, ifname, af, argv, false, print_name);
    }
    if let Some(id) = k.ifunit(ctx.vnet, ifname)
        && selected(k, id, o)
    {
        status(k, ctx, id, af, &mut p.out);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn apply(
    k: &mut Kernel,
    ctx: Ctx,
    p: &mut Proc,
    name: &str,
    af: Option<Af>,
    argv: &[String],
    iscreate: bool,
    print_name: &mut Option<String>,
) -> Result<(), Exit> {
    let mut a = Apply::new(k, ctx, p, name, af);
    let r = a.run(argv, iscreate);
    if a.print_name {
        *print_name = Some(a.name.clone());
    }
    match (r, a.exit_code) {
        (Ok(()), 0) => Ok(()),
        (Ok(()), c) => Err(Exit(c)),
        (Err(e), _) => Err(e),
    }
}

/// `ifmaybeload`: loads `if_<driver>` when the interface's module is not loaded (only
/// modules the simulated host has are attempted; unknown ones would fail silently anyway).
fn ifmaybeload(k: &mut Kernel, ctx: Ctx, ifname: &str) {
    let base: String = ifname.chars().take_while(|c| !c.is_ascii_digit()).collect();
    let kld = match base.as_str() {
        "tun" | "tap" | "vmnet" => "if_tuntap".to_string(),
        "ipsec" => "ipsec".to_string(),
        "enc" => "if_enc".to_string(),
        b => format!("if_{b}"),
    };
    if k.module_loaded(&kld) || k.module_loaded(&base) {
        return;
    }
    if AVAILABLE_MODULES.iter().any(|(m, _)| *m == kld) {
        let _ = k.kld_load(ctx, &kld);
    }
}

/// The `-d`/`-u`/`-g`/`-G` filters.
fn selected(k: &Kernel, id: IfId, o: &Opts) -> bool {
    let Some(i) = k.ifp(id) else { return false };
    let up = if_flags(k, id, i) & iff::UP != 0;
    if (o.downonly && up) || (o.uponly && !up) {
        return false;
    }
    if o.matchgroup.is_none() && o.nogroup.is_none() {
        return true;
    }
    let groups: Vec<&str> = std::iter::once("all").chain(i.groups.iter().map(String::as_str)).collect();
    let matched = o.matchgroup.as_ref().is_none_or(|m| groups.iter().any(|g| fnmatch(m, g)));
    let nomatched = o.nogroup.as_ref().is_none_or(|m| groups.iter().all(|g| !fnmatch(m, g)));
    matched && nomatched
}

/// `ifconfig -a` / `-l`: every interface of the vnet in `if_index` order.
fn list(k: &Kernel, ctx: Ctx, o: &Opts, af: Option<Af>, p: &mut Proc) {
    let mut names = Vec::new();
    for id in k.ifnets_in(ctx.vnet) {
        if !selected(k, id, o) {
            continue;
        }
        if o.namesonly {
            let Some(i) = k.ifp(id) else { continue };
            let keep = match af {
                None => true,
                Some(Af::Link) => i.mac.is_some(),
                Some(Af::Inet) => i.addrs.iter().any(|a| a.is_v4()),
                Some(Af::Inet6) => i.addrs.iter().any(|a| !a.is_v4()),
            };
            if keep {
                names.push(i.name.clone());
            }
        } else {
            status(k, ctx, id, af, &mut p.out);
        }
    }
    if o.namesonly {
        p.out.push_str(&names.join(" "));
        p.out.push('\n');
    }
}
