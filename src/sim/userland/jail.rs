//! `jail` (usr.sbin/jail/jail.c, command.c, config.c): `jail -c param=value …` with
//! `vnet.interface`, `jail -r jail …`, `-i`, `-q`, `-v`. Configuration files, `-m` and
//! commands run inside the jail are not simulated.

use super::getopt::{Getopt, Opt};
use super::{Exit, Proc};
use crate::host::Output;
use crate::sim::Errno;
use crate::sim::kernel::{ALLOW_PARAMS, Ctx, JailSpec, Kernel};

/// Kernel jail parameters the simulated kernel accepts (`security.jail.param.*`).
const KERNEL_PARAMS: &[&str] = &[
    "name",
    "path",
    "jid",
    "host",
    "host.hostname",
    "host.domainname",
    "host.hostuuid",
    "host.hostid",
    "persist",
    "vnet",
    "ip4",
    "ip4.addr",
    "ip4.saddrsel",
    "ip6",
    "ip6.addr",
    "ip6.saddrsel",
    "children.max",
    "devfs_ruleset",
    "enforce_statfs",
    "securelevel",
    "osrelease",
    "osreldate",
    "sysvmsg",
    "sysvsem",
    "sysvshm",
];

/// Parameters jail(8) handles itself (PF_INTERNAL) or that belong to families it passes on.
fn internal(name: &str) -> bool {
    matches!(name, "vnet.interface" | "interface" | "ip_hostname" | "depend" | "mount" | "command" | "allow.dying")
        || ["exec.", "mount.", "zfs."].iter().any(|p| name.starts_with(p))
}

/// A kernel `allow.*` parameter ([`ALLOW_PARAMS`]) as jail(8) is given it: `allow.X` or its
/// boolean negation `allow.noX` (libjail `jailparam_init` looks the `no` form up too), with an
/// optional `=true|false|1|0`. `None` when `key` is not one; `Some(Err)` for a bad value.
fn allow_param(key: &str, val: Option<&str>) -> Option<Result<(String, bool), String>> {
    let (name, positive) = if ALLOW_PARAMS.contains(&key) {
        (key.to_string(), true)
    } else {
        let rest = key.strip_prefix("allow.no")?;
        let name = format!("allow.{rest}");
        if !ALLOW_PARAMS.contains(&name.as_str()) {
            return None;
        }
        (name, false)
    };
    let on = match val.map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "true" | "1") => true,
        Some("false" | "0") => false,
        Some(_) => return Some(Err(format!("{key}: unknown boolean value \"{}\"", val.unwrap_or_default()))),
    };
    Some(Ok((name, on == positive)))
}

fn usage(p: &mut Proc) -> Exit {
    p.stderr(
        "usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n\
         \x20           -[cmr] param=value ... [command=command ...]\n\
         \x20      jail [-dqv] [-f file] -[cmr] [jail]\n\
         \x20      jail [-qv] [-f file] -[rR] ['*' | jail ...]\n\
         \x20      jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n\
         \x20           [-n jailname] [-s securelevel]\n\
         \x20           path hostname [ip[,...]] command ...\n",
    );
    Exit(1)
}

/// Runs `jail args`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("jail");
    let r = run(k, ctx, args, &mut p);
    p.finish_with(r)
}

fn run(k: &mut Kernel, ctx: Ctx, args: &[String], p: &mut Proc) -> Result<(), Exit> {
    let (mut create, mut remove, mut set, mut rflag, mut iflag) = (false, false, false, false, false);
    let mut verbose = 0i32;
    let mut cfname = "/etc/jail.conf".to_string();
    let mut name_opt: Option<String> = None;
    let mut g = Getopt::new(args, "cdf:hiJ:lmn:p:qrRs:u:U:v");
    for o in g.by_ref() {
        match o {
            Opt::Flag('c', _) => create = true,
            Opt::Flag('r', _) => remove = true,
            Opt::Flag('R', _) => {
                remove = true;
                rflag = true;
            }
            Opt::Flag('m', _) => set = true,
            Opt::Flag('i', _) => {
                iflag = true;
                verbose = -1;
            }
            Opt::Flag('q', _) => verbose = -1,
            Opt::Flag('v', _) => verbose = 1,
            Opt::Flag('f', a) => cfname = a.unwrap_or_default(),
            Opt::Flag('n', a) => name_opt = a,
            Opt::Flag(_, _) => {}
            Opt::Bad(m) => {
                p.warnx(&m);
                return Err(usage(p));
            }
        }
    }
    let rest = g.rest();
    if !create && !remove && !set {
        if rest.len() < 4 || !rest[0].starts_with('/') {
            return Err(usage(p));
        }
        return Err(p.errx(1, "old-style command lines (running a command in the jail) are not simulated"));
    }
    if remove && !create && !set {
        if rest.is_empty() || (!rflag && rest.iter().any(|a| a.contains('='))) {
            return Err(usage(p));
        }
        return remove_jails(k, ctx, rest, verbose, p);
    }
    if set {
        return Err(p.errx(1, "-m is not simulated"));
    }
    if remove {
        return Err(p.errx(1, "-rc (restart) is not simulated"));
    }
    if rest.len() > 1 || rest.first().is_some_and(|a| a.contains('=')) {
        if rflag {
            return Err(usage(p));
        }
        return create_jail(k, ctx, rest, name_opt, iflag, verbose, p);
    }
    Err(p.err(1, &format!("open {cfname}"), Errno::ENOENT))
}

/// `jail -r`: every named jail (or `*`); prints `NAME: removed` when several were named.
fn remove_jails(k: &mut Kernel, ctx: Ctx, targets: &[String], verbose: i32, p: &mut Proc) -> Result<(), Exit> {
    let mut failed = false;
    let wildcard = targets.iter().any(|t| t == "*");
    let note = targets.len() > 1 || wildcard;
    let mut jids: Vec<(u32, String)> = Vec::new();
    for t in targets {
        if t == "*" {
            jids.extend(k.jail_list().map(|j| (j.jid, j.name.clone())));
            continue;
        }
        let found = k.jail_list().find(|j| j.name == *t || (t.parse::<u32>().ok() == Some(j.jid) && t != "0"));
        match found {
            Some(j) => jids.push((j.jid, j.name.clone())),
            None => {
                p.warnx(&format!("\"{t}\" not found"));
                failed = true;
            }
        }
    }
    for (jid, name) in jids {
        if k.jail(jid).is_none() {
            continue;
        }
        if let Err(Errno::EPERM) = k.jail_remove(ctx, jid) {
            p.warn(&format!("{name}: jail_remove"), Errno::EPERM);
            failed = true;
            continue;
        }
        if verbose > 0 || (verbose == 0 && note) {
            p.out.push_str(&format!("{name}: removed\n"));
        }
    }
    if failed { Err(Exit(1)) } else { Ok(()) }
}

/// `jail -c param …`.
fn create_jail(
    k: &mut Kernel,
    ctx: Ctx,
    params: &[String],
    name_opt: Option<String>,
    iflag: bool,
    verbose: i32,
    p: &mut Proc,
) -> Result<(), Exit> {
    let mut spec = JailSpec { name: name_opt.unwrap_or_default(), path: "/".to_string(), ..JailSpec::default() };
    let mut ifaces: Vec<String> = Vec::new();
    let mut jid_str: Option<String> = None;
    let mut unknown: Vec<String> = Vec::new();
    let mut bad: Vec<String> = Vec::new();
    for a in params {
        let (key, val) = match a.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (a.as_str(), None),
        };
        if key == "command" {
            return Err(p.errx(1, "commands run inside the jail are not simulated"));
        }
        match allow_param(key, val) {
            Some(Ok(a)) => {
                spec.allow.push(a);
                continue;
            }
            Some(Err(m)) => {
                bad.push(m);
                continue;
            }
            None => {}
        }
        let bare_no = val.is_none() && key.starts_with("no") && KERNEL_PARAMS.contains(&&key[2..]);
        let base = if bare_no { &key[2..] } else { key };
        if base == "vnet" && !k.vimage() {
            unknown.push(base.to_string());
            continue;
        }
        if !KERNEL_PARAMS.contains(&base) && !internal(base) {
            unknown.push(key.to_string());
            continue;
        }
        let v = val.unwrap_or("");
        match base {
            "name" => spec.name = v.to_string(),
            "path" => spec.path = v.to_string(),
            "host.hostname" => spec.hostname = Some(v.to_string()),
            "jid" => {
                jid_str = Some(v.to_string());
                match v.parse::<u32>() {
                    Ok(j) => spec.jid = Some(j),
                    Err(_) => bad.push(format!("jid: non-integer value \"{v}\"")),
                }
            }
            "persist" => match (bare_no, v.to_ascii_lowercase().as_str()) {
                (true, _) => spec.persist = false,
                (false, "" | "true" | "1") => spec.persist = true,
                (false, "false" | "0") => spec.persist = false,
                _ => bad.push(format!("persist: unknown boolean value \"{v}\"")),
            },
            "vnet" => match v.to_ascii_lowercase().as_str() {
                "" | "new" | "1" => spec.vnet = true,
                "inherit" | "2" => spec.vnet = false,
                _ => bad.push(format!("vnet: unknown jailsys value \"{v}\"")),
            },
            "devfs_ruleset" => match v.parse::<u16>() {
                Ok(n) => spec.devfs_ruleset = Some(n),
                Err(_) => bad.push(format!("devfs_ruleset: non-integer value \"{v}\"")),
            },
            "mount.devfs" => spec.mount_devfs = !bare_no && !matches!(v, "false" | "0"),
            "mount.nodevfs" => spec.mount_devfs = false,
            "vnet.interface" => {
                ifaces.extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from));
            }
            _ => {}
        }
    }
    let label = if spec.name.is_empty() { jid_str.clone() } else { Some(spec.name.clone()) };
    let warn = |p: &mut Proc, msg: &str| match &label {
        Some(n) if !spec.name.is_empty() => p.warnx(&format!("{n}: {msg}")),
        _ => p.warnx(msg),
    };
    if !unknown.is_empty() || !bad.is_empty() {
        for u in &unknown {
            warn(p, &format!("unknown parameter: {u}"));
        }
        for b in &bad {
            warn(p, b);
        }
        return Err(Exit(1));
    }
    let exists = if let Some(j) = spec.jid {
        k.jail(j).is_some()
    } else {
        !spec.name.is_empty() && k.jail_jid(&spec.name).is_some()
    };
    if exists {
        let shown = label.unwrap_or_default();
        return Err(p.errx(1, &format!("\"{shown}\" already exists")));
    }
    let jid = match k.jail_create(ctx, &spec) {
        Ok(j) => j,
        Err(e) => {
            warn(p, &e.msg);
            return Err(Exit(1));
        }
    };
    let name = k.jail(jid).map(|j| j.name.clone()).unwrap_or_default();
    let named = !spec.name.is_empty();
    if iflag {
        p.out.push_str(&format!("{jid}\n"));
    }
    if verbose >= 0 && (named || verbose > 0) {
        p.out.push_str(&format!("{}created\n", if named { format!("{name}: ") } else { String::new() }));
    }
    if !spec.persist {
        // No persist and no command: nothing holds the jail, it goes away at once.
        let _ = k.jail_remove(ctx, jid);
    }
    let target = jid_str.unwrap_or_else(|| name.clone());
    let mut moved: Vec<&String> = Vec::new();
    for iface in &ifaces {
        let argv = vec![iface.clone(), "vnet".to_string(), target.clone()];
        let o = super::run(k, ctx, "ifconfig", &argv);
        p.out.push_str(&o.stdout);
        p.err.push_str(&o.stderr);
        if o.code != 0 {
            p.warnx(&format!("{name}: /sbin/ifconfig {iface} vnet {target}: failed"));
            for m in moved.iter().rev() {
                let argv = vec![(*m).clone(), "-vnet".to_string(), target.clone()];
                let o = super::run(k, ctx, "ifconfig", &argv);
                p.out.push_str(&o.stdout);
                p.err.push_str(&o.stderr);
            }
            if k.jail(jid).is_some() {
                let _ = k.jail_remove(ctx, jid);
                if verbose >= 0 && named {
                    p.out.push_str(&format!("{name}: removed\n"));
                }
            }
            return Err(Exit(1));
        }
        moved.push(iface);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jail(k: &mut Kernel, a: &[&str]) -> Output {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        main(k, Ctx::HOST, &a)
    }

    #[test]
    fn create_prints_name_created_and_i_prints_the_jid_command_c() {
        let mut k = Kernel::demo();
        let o = jail(&mut k, &["-c", "name=web2", "path=/j/web2", "host.hostname=web2", "vnet", "persist"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "web2: created\n", ""));
        assert_eq!(k.jail_jid("web2"), Some(2));
        assert_eq!(k.jail_ifnames("web2"), vec!["lo0".to_string()]);
        let o = jail(&mut k, &["-i", "-c", "name=web3", "path=/j/web3", "persist"]);
        assert_eq!(o.stdout, "3\n");
    }

    #[test]
    fn create_refuses_existing_names_and_unknown_params() {
        let mut k = Kernel::demo();
        let o = jail(&mut k, &["-c", "name=web1", "path=/x", "persist"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jail: \"web1\" already exists\n"));
        let o = jail(&mut k, &["-c", "name=x", "frobnicate=1", "persist"]);
        assert_eq!(o.stderr, "jail: x: unknown parameter: frobnicate\n");
        k.set_vimage(false);
        let before = k.snapshot();
        let o = jail(&mut k, &["-c", "name=x", "path=/x", "vnet", "persist"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jail: x: unknown parameter: vnet\n"));
        assert_eq!(k.snapshot(), before);
        let o = jail(&mut k, &["-c", "name=12", "path=/x", "persist"]);
        assert_eq!(o.stderr, "jail: 12: name cannot be numeric (unless it is the jid)\n");
    }

    #[test]
    fn vnet_interface_moves_after_creation_and_a_failure_removes_the_jail() {
        let mut k = Kernel::demo();
        let o = super::super::run(&mut k, Ctx::HOST, "ifconfig", &["epair".to_string(), "create".to_string()]);
        assert_eq!(o.stdout, "epair0a\n");
        let o = jail(&mut k, &["-c", "name=w2", "path=/j", "vnet", "persist", "vnet.interface=epair0b"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(k.jail_iface("w2", "epair0b").is_some());
        let o = jail(&mut k, &["-c", "name=w3", "path=/j", "vnet", "persist", "vnet.interface=nope0"]);
        assert_eq!(o.code, 1);
        assert_eq!(o.stdout, "w3: created\nw3: removed\n");
        assert_eq!(
            o.stderr,
            "ifconfig: interface nope0 does not exist\njail: w3: /sbin/ifconfig nope0 vnet w3: failed\n"
        );
        assert_eq!(k.jail_jid("w3"), None);
    }

    #[test]
    fn remove_is_silent_for_one_jail_and_not_found_is_quoted() {
        let mut k = Kernel::demo();
        let o = jail(&mut k, &["-r", "web1"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
        let o = jail(&mut k, &["-r", "web1"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jail: \"web1\" not found\n"));
        let o = jail(&mut k, &["-r"]);
        assert_eq!(o.code, 1);
        assert!(o.stderr.starts_with("usage: jail"));
    }
}
