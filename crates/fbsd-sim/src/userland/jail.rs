//! `jail` (usr.sbin/jail/jail.c, command.c, config.c): `jail -c param=value …` with
//! `vnet.interface`, `jail -m param=value …` for the parameters the model keeps, `jail -r
//! jail …`, `-i`, `-q`, `-v`. Configuration files and commands run inside the jail are not
//! simulated.

use super::getopt::{Getopt, Opt};
use super::{Exit, Proc};
use crate::Errno;
use crate::kernel::{ALLOW_PARAMS, Ctx, JailSpec, JailUpdate, Kernel};
use vimage_base::Output;

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
    if set && !create && !remove {
        if rest.len() > 1 || rest.first().is_some_and(|a| a.contains('=')) {
            return update_jail(k, ctx, rest, name_opt, verbose, p);
        }
        return Err(p.err(1, &format!("open {cfname}"), Errno::ENOENT));
    }
    if set && create && !remove {
        // jail.c main, JF_START_SET: "create or modify": the jail running_jid finds (by jid=,
        // else by name=; a dying one does not count) is updated, else one is created.
        if !(rest.len() > 1 || rest.first().is_some_and(|a| a.contains('='))) {
            return Err(p.err(1, &format!("open {cfname}"), Errno::ENOENT));
        }
        let param = |key: &str| rest.iter().find_map(|a| a.strip_prefix(key)?.strip_prefix('=')).map(str::to_string);
        let name = param("name").or(name_opt.clone());
        if running_jid(k, ctx, param("jid").as_deref(), name.as_deref()).is_some() {
            return update_jail(k, ctx, rest, name_opt, verbose, p);
        }
        return create_jail(k, ctx, rest, name_opt, iflag, verbose, p);
    }
    if set {
        return Err(p.errx(1, "-rm is not simulated"));
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

/// jail.c `jail_warnx`: the message, after the jail's name when it has one.
fn jail_warnx(p: &mut Proc, name: Option<&str>, msg: &str) {
    match name {
        Some(n) => p.warnx(&format!("{n}: {msg}")),
        None => p.warnx(msg),
    }
}

/// Unknown parameters and values libjail could not import: each reported, then exit 1.
fn param_errors(p: &mut Proc, name: Option<&str>, unknown: &[String], bad: &[String]) -> Result<(), Exit> {
    if unknown.is_empty() && bad.is_empty() {
        return Ok(());
    }
    for u in unknown {
        jail_warnx(p, name, &format!("unknown parameter: {u}"));
    }
    for b in bad {
        jail_warnx(p, name, b);
    }
    Err(Exit(1))
}

/// jail.c `running_jid`: the live jail `jid=` names (a non-number or 0 is no jail), else the
/// one `name=` names (a name of digits only is not looked up by name); dying jails do not count.
fn running_jid(k: &Kernel, ctx: Ctx, jid: Option<&str>, name: Option<&str>) -> Option<u32> {
    match (jid, name) {
        (Some(j), _) => j.parse::<u32>().ok().filter(|&j| j != 0).and_then(|j| k.jail_getid(ctx, &j.to_string()).ok()),
        (None, Some(n)) => k.jail_getid(ctx, n).ok().filter(|_| !n.bytes().all(|b| b.is_ascii_digit())),
        (None, None) => None,
    }
}

/// `jail -m param …` for one jail named on the command line, as jail.c's main loop does it
/// (JF_SET): the jail is found by `jid=` or else `name=` (`running_jid`; a missing or dying
/// one is `"X" not found`, none given is `no jail specified`); create-only (CTLFLAG_RDTUN)
/// parameters may be given only with the value they have (`rdtun_params`: `NAME: path cannot
/// be changed after creation`) and are then left out; the rest goes to jail_set(JAIL_UPDATE)
/// (`update_jail`), whose error is printed as `NAME: <errmsg>`. On success `NAME: updated`
/// when the jail was named (or with -v), nothing with -q. Of the writable parameters the model
/// keeps `devfs_ruleset` and `host.hostname`; others are refused as not simulated.
fn update_jail(
    k: &mut Kernel,
    ctx: Ctx,
    params: &[String],
    name_opt: Option<String>,
    verbose: i32,
    p: &mut Proc,
) -> Result<(), Exit> {
    let mut name = name_opt;
    let mut jid_str: Option<String> = None;
    let mut update = JailUpdate::default();
    let mut rdtun: Vec<(&str, String)> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut bad: Vec<String> = Vec::new();
    for a in params {
        let (key, val) = match a.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (a.as_str(), None),
        };
        let v = val.unwrap_or("");
        match key {
            "name" => name = Some(v.to_string()),
            "jid" => jid_str = Some(v.to_string()),
            "devfs_ruleset" => match v.parse::<i64>() {
                Ok(n) => update.devfs_ruleset = Some(n),
                Err(_) => bad.push(format!("devfs_ruleset: non-integer value \"{v}\"")),
            },
            "host.hostname" => update.hostname = Some(v.to_string()),
            "path" | "vnet" | "osrelease" | "osreldate" => rdtun.push((key, v.to_string())),
            "command" => return Err(p.errx(1, "commands run inside the jail are not simulated")),
            _ if KERNEL_PARAMS.contains(&key) || internal(key) || allow_param(key, val).is_some() => {
                return Err(p.errx(1, &format!("jail -m {key}=: not simulated")));
            }
            _ if key.starts_with("no") && KERNEL_PARAMS.contains(&&key[2..]) => {
                return Err(p.errx(1, &format!("jail -m {key}: not simulated")));
            }
            _ if key == "vnet" && !k.vimage() => unknown.push(key.to_string()),
            _ => unknown.push(key.to_string()),
        }
    }
    let warn = |p: &mut Proc, msg: &str| jail_warnx(p, name.as_deref(), msg);
    param_errors(p, name.as_deref(), &unknown, &bad)?;
    if jid_str.is_none() && name.is_none() {
        return Err(p.errx(1, "no jail specified"));
    }
    let found = running_jid(k, ctx, jid_str.as_deref(), name.as_deref());
    let Some(jid) = found else {
        let shown = name.clone().or(jid_str.clone()).unwrap_or_default();
        return Err(p.errx(1, &format!("\"{shown}\" not found")));
    };
    let j = k.jail(jid).cloned().ok_or_else(|| p.errx(1, "jail vanished"))?;
    for (key, v) in &rdtun {
        let same = match *key {
            "path" => *v == j.path,
            "vnet" => match v.to_ascii_lowercase().as_str() {
                "" | "new" | "1" => j.vnet.is_some(),
                "inherit" | "2" => j.vnet.is_none(),
                _ => false,
            },
            _ => false,
        };
        if !same {
            warn(p, &format!("{key} cannot be changed after creation"));
            return Err(Exit(1));
        }
    }
    if let Err(e) = k.jail_update(ctx, jid, &update) {
        warn(p, &e.msg);
        return Err(Exit(1));
    }
    if verbose >= 0 && (name.is_some() || verbose > 0) {
        match &name {
            Some(n) => p.out.push_str(&format!("{n}: updated\n")),
            None => p.out.push_str("updated\n"),
        }
    }
    Ok(())
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
    let named = (!spec.name.is_empty()).then(|| spec.name.clone());
    let warn = |p: &mut Proc, msg: &str| jail_warnx(p, named.as_deref(), msg);
    param_errors(p, named.as_deref(), &unknown, &bad)?;
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
    fn m_sets_devfs_ruleset_of_a_running_jail_jail_c_update_jail_kern_jail_c() {
        let mut k = Kernel::demo();
        let dev = "/usr/jails/jails/web1/dev";
        let mount = k.snapshot().devfs_mounts.get(dev).cloned();
        let o = jail(&mut k, &["-m", "jid=1", "devfs_ruleset=50"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""), "no name given: silent");
        assert_eq!(k.jail(1).unwrap().devfs_ruleset, 50);
        assert_eq!(k.snapshot().devfs_mounts.get(dev).cloned(), mount, "the mounted /dev keeps its ruleset");
        let o = jail(&mut k, &["-m", "name=web1", "devfs_ruleset=5"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "web1: updated\n"));
        assert_eq!(k.jail(1).unwrap().devfs_ruleset, 5);
        let o = jail(&mut k, &["-q", "-m", "name=web1", "devfs_ruleset=6", "path=/usr/jails/jails/web1", "vnet"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, ""), "{}", o.stderr);
    }

    #[test]
    fn m_refusals_change_nothing_and_read_as_jail_8_prints_them() {
        let mut k = Kernel::demo();
        let before = k.snapshot();
        for (args, err) in [
            (&["-m", "jid=9", "devfs_ruleset=50"][..], "jail: \"9\" not found\n"),
            (&["-m", "name=nosuch", "devfs_ruleset=50"][..], "jail: \"nosuch\" not found\n"),
            (&["-m", "devfs_ruleset=50", "persist"][..], ""),
            (&["-m", "jid=1", "devfs_ruleset=x"][..], "jail: devfs_ruleset: non-integer value \"x\"\n"),
            (&["-m", "jid=1", "devfs_ruleset=70000"][..], "jail: jail_set: Invalid argument\n"),
            (&["-m", "name=web1", "devfs_ruleset=-1"][..], "jail: web1: jail_set: Invalid argument\n"),
            (&["-m", "name=web1", "path=/elsewhere"][..], "jail: web1: path cannot be changed after creation\n"),
            (&["-m", "jid=1", "vnet=inherit"][..], "jail: vnet cannot be changed after creation\n"),
            (&["-m", "jid=1", "frobnicate=1"][..], "jail: unknown parameter: frobnicate\n"),
        ] {
            let o = jail(&mut k, args);
            assert_eq!(o.code, 1, "{args:?}");
            if !err.is_empty() {
                assert_eq!(o.stderr, err, "{args:?}");
            }
            assert_eq!(k.snapshot(), before, "{args:?}");
        }
        let o = jail(&mut k, &["-m", "devfs_ruleset=50"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jail: no jail specified\n"));
        let o = jail(&mut k, &["-m"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jail: open /etc/jail.conf: No such file or directory\n"));
        let ctx = k.ctx_in_jail(1).unwrap();
        let o = main(&mut k, ctx, &["-m".to_string(), "jid=1".to_string(), "devfs_ruleset=50".to_string()]);
        assert_eq!(o.code, 1, "a jail cannot change its own parameters");
        assert_eq!(k.snapshot(), before);
    }

    #[test]
    fn cm_creates_a_missing_jail_and_updates_a_running_one_jail_c_start_set() {
        let mut k = Kernel::demo();
        let o = jail(&mut k, &["-cm", "name=web2", "path=/j/web2", "persist"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "web2: created\n", ""));
        let jid = k.jail_jid("web2").expect("created");
        let o = jail(&mut k, &["-cm", "name=web2", "devfs_ruleset=50"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "web2: updated\n", ""));
        assert_eq!((k.jail_jid("web2"), k.jail(jid).unwrap().devfs_ruleset), (Some(jid), 50), "the same jail");
        let o = jail(&mut k, &["-c", "-m", "jid=1", "host.hostname=www"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(k.jail_jid("web1"), Some(1));
        let o = jail(&mut k, &["-rm", "web1"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jail: -rm is not simulated\n"));
        // allow.* are kernel parameters (not unknown ones), which -m does not simulate.
        let before = k.snapshot();
        for a in ["allow.raw_sockets", "allow.noraw_sockets=1"] {
            let o = jail(&mut k, &["-m", "jid=1", a]);
            assert_eq!(o.code, 1, "{a}");
            assert!(o.stderr.contains("not simulated"), "{a}: {}", o.stderr);
        }
        assert_eq!(k.snapshot(), before);
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
