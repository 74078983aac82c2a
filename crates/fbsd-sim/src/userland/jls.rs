//! `jls` (usr.sbin/jls/jls.c): the default table, `-v`, `-n`/`-h`/`-s` parameter output with
//! `-q` quoting, `-d` for dying jails and `-j` for one jail.

use super::getopt::{Getopt, Opt};
use super::{Exit, Proc};
use crate::kernel::{ALLOW_PARAMS, Ctx, Jail, Kernel};
use vimage_base::Output;

/// How a parameter prints.
enum Val {
    Int(i64),
    Str(String),
    /// Printed `name`/`noname` with -n.
    Bool(bool),
    /// jailsys: `new`, `inherit`, `disable`.
    Sys(&'static str),
}

/// Parameters the simulated kernel exposes (`security.jail.param.*`) besides
/// [`ALLOW_PARAMS`]; [`all_params`] puts them in `jls -n` "all" order.
const PARAMS: &[&str] = &[
    "children.cur",
    "children.max",
    "cpuset.id",
    "devfs_ruleset",
    "dying",
    "enforce_statfs",
    "host",
    "ip4",
    "ip6",
    "jid",
    "name",
    "osreldate",
    "osrelease",
    "parent",
    "path",
    "persist",
    "securelevel",
    "vnet",
    "host.domainname",
    "host.hostid",
    "host.hostname",
    "host.hostuuid",
    "ip4.addr",
    "ip6.addr",
];

/// Parameters declared read-only (`CTLFLAG_RD`, neither WR nor TUN) in sys/kern/kern_jail.c:
/// `jls -s` leaves them out (jls.c `print_jail`, PRINT_SKIP). `jid`, `path`, `vnet`,
/// `osrelease` and `osreldate` are RDTUN and are printed.
const READ_ONLY: &[&str] = &["parent", "dying", "children.cur", "cpuset.id"];

/// jls.c `sort_param` over `jailparam_all`: top-level names first, then dotted ones, each
/// group in `strcmp` order.
fn all_params(k: &Kernel) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = PARAMS.iter().chain(ALLOW_PARAMS.iter()).copied().filter(|n| known(k, n)).collect();
    v.sort_by(|a, b| (a.contains('.'), *a).cmp(&(b.contains('.'), *b)));
    v
}

fn param(k: &Kernel, j: &Jail, name: &str) -> Option<Val> {
    let v = match name {
        "jid" => Val::Int(i64::from(j.jid)),
        "name" => Val::Str(j.name.clone()),
        "path" => Val::Str(j.path.clone()),
        "host.hostname" => Val::Str(j.hostname.clone()),
        "host.domainname" => Val::Str(String::new()),
        "host.hostid" => Val::Int(0),
        "host.hostuuid" => Val::Str(k.hostuuid().to_string()),
        "dying" => Val::Bool(j.dying),
        "persist" => Val::Bool(j.persist),
        "vnet" if k.vimage() => Val::Sys(if j.vnet.is_some() { "new" } else { "inherit" }),
        "host" => Val::Sys("new"),
        "ip4" | "ip6" => Val::Sys(if j.vnet.is_some() { "new" } else { "disable" }),
        "ip4.addr" | "ip6.addr" => Val::Str(String::new()),
        "enforce_statfs" => Val::Int(2),
        "parent" | "children.cur" | "children.max" => Val::Int(0),
        "cpuset.id" => Val::Int(i64::from(j.jid) + 1),
        "devfs_ruleset" => Val::Int(i64::from(j.devfs_ruleset)),
        "securelevel" => Val::Int(-1),
        "osreldate" => Val::Int(i64::from(k.osreldate())),
        "osrelease" => Val::Str(k.osrelease()),
        a if ALLOW_PARAMS.contains(&a) => Val::Bool(j.allow.contains(a)),
        _ => return None,
    };
    Some(v)
}

fn known(k: &Kernel, name: &str) -> bool {
    (PARAMS.contains(&name) || ALLOW_PARAMS.contains(&name)) && (name != "vnet" || k.vimage())
}

/// jls.c `quoted_print`.
fn quoted(v: &str, quote: bool) -> String {
    if v.is_empty() {
        return "\"\"".to_string();
    }
    let qc = if v.contains('\'') {
        Some('"')
    } else if v.contains('"') {
        Some('\'')
    } else if v.contains(' ') || v.contains('\t') {
        Some('"')
    } else {
        None
    };
    match qc {
        Some(q) if quote => format!("{q}{v}{q}"),
        _ => v.to_string(),
    }
}

/// Runs `jls args`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("jls");
    let r = run(k, ctx, args, &mut p);
    p.finish_with(r)
}

fn run(k: &Kernel, ctx: Ctx, args: &[String], p: &mut Proc) -> Result<(), Exit> {
    let (mut dying, mut header, mut nameval, mut quote, mut skip, mut verbose, mut by_name) =
        (false, false, false, false, false, false, false);
    let mut jname: Option<String> = None;
    let mut g = Getopt::new(args, "adj:hNnqsv");
    for o in g.by_ref() {
        match o {
            Opt::Flag('a' | 'd', _) => dying = true,
            Opt::Flag('j', a) => jname = a,
            Opt::Flag('h', _) => {
                header = true;
                skip = false;
                verbose = false;
            }
            Opt::Flag('N', _) => by_name = true,
            Opt::Flag('n', _) => {
                nameval = true;
                verbose = false;
            }
            Opt::Flag('q', _) => quote = true,
            Opt::Flag('s', _) => {
                nameval = true;
                quote = true;
                skip = true;
                header = false;
                verbose = false;
            }
            Opt::Flag('v', _) => {
                verbose = true;
                header = false;
                nameval = false;
                skip = false;
            }
            _ => {
                let msg = match o {
                    Opt::Bad(m) => m,
                    Opt::Flag(c, _) => format!("illegal option -- {c}"),
                };
                p.warnx(&msg);
                return Err(p.errx(1, "usage: jls [-dhNnqv] [-j jail] [param ...]"));
            }
        }
    }
    let rest = g.rest();
    let mut params: Vec<String> = Vec::new();
    let mode_default = rest.is_empty() && !(header || nameval) && !verbose;
    if rest.is_empty() {
        if header || nameval {
            params = all_params(k).into_iter().map(str::to_string).collect();
        }
    } else {
        verbose = false;
        for r in rest {
            if !known(k, r) {
                return Err(p.errx(1, &format!("unknown parameter: {r}")));
            }
            if !params.contains(r) {
                params.push(r.clone());
            }
        }
    }
    let selected: Vec<&Jail> = match &jname {
        Some(key) => {
            let numeric = key.parse::<u32>().ok().filter(|&n| n != 0);
            let found = if ctx.jailed() {
                None
            } else {
                match numeric {
                    Some(n) => k.jail(n),
                    None => k.jail_jid(key).and_then(|j| k.jail(j)),
                }
            };
            match found {
                Some(j) if dying || !j.dying => vec![j],
                Some(_) => {
                    return Err(p.errx(
                        1,
                        &match numeric {
                            Some(n) => format!("jail {n} is dying"),
                            None => format!("jail \"{key}\" is dying"),
                        },
                    ));
                }
                None => {
                    return Err(p.errx(
                        1,
                        &match numeric {
                            Some(n) => format!("jail {n} not found"),
                            None => format!("jail \"{key}\" not found"),
                        },
                    ));
                }
            }
        }
        None if ctx.jailed() => Vec::new(),
        None => k.jail_list().filter(|j| dying || !j.dying).collect(),
    };
    if verbose {
        p.out.push_str("   JID  Hostname                      Path\n");
        p.out.push_str(&format!("{:8}Name{:26}State\n", "", ""));
        p.out.push_str("        CPUSetID\n");
        p.out.push_str("        IP Address(es)\n");
        for j in &selected {
            p.out.push_str(&format!("{:>6}  {:<29.29} {:.74}\n", j.jid, j.hostname, j.path));
            p.out.push_str(&format!("        {:<29.29} {}\n", j.name, if j.dying { "DYING" } else { "ACTIVE" }));
            p.out.push_str(&format!("        {}\n", j.jid + 1));
        }
        return Ok(());
    }
    if mode_default {
        if by_name {
            p.out.push_str(&format!(" {:<15} {:<15} {:<29} Path\n", "JID", "IP Address", "Hostname"));
        } else {
            p.out.push_str("   JID  IP Address      Hostname                      Path\n");
        }
        for j in &selected {
            if by_name {
                p.out.push_str(&format!(" {:<15} ", j.name));
            } else {
                p.out.push_str(&format!("{:>6}  ", j.jid));
            }
            p.out.push_str(&format!("{:<15.15} {:<29.29} {:.74}\n", "", j.hostname, j.path));
        }
        return Ok(());
    }
    if header {
        p.out.push_str(&params.join(" "));
        p.out.push('\n');
    }
    for j in &selected {
        let mut words = Vec::new();
        for name in &params {
            if skip && READ_ONLY.contains(&name.as_str()) {
                continue;
            }
            // PRINT_SKIP also drops `X.Y` when the jailsys parameter `X` is not "new" (ip4.addr
            // of a jail with ip4=disable).
            if skip
                && let Some((parent, _)) = name.split_once('.')
                && let Some(Val::Sys(v)) = param(k, j, parent)
                && v != "new"
            {
                continue;
            }
            let Some(v) = param(k, j, name) else { continue };
            let w = match v {
                Val::Bool(b) if nameval => {
                    if b {
                        name.clone()
                    } else {
                        match name.rsplit_once('.') {
                            Some((a, b)) => format!("{a}.no{b}"),
                            None => format!("no{name}"),
                        }
                    }
                }
                Val::Bool(b) => b.to_string(),
                Val::Int(i) => prefix(nameval, name, &i.to_string()),
                Val::Sys(s) => prefix(nameval, name, s),
                Val::Str(s) if s.is_empty() => {
                    let shown = if quote {
                        "\"\""
                    } else if nameval {
                        ""
                    } else {
                        "-"
                    };
                    prefix(nameval, name, shown)
                }
                Val::Str(s) => prefix(nameval, name, &quoted(&s, quote)),
            };
            words.push(w);
        }
        p.out.push_str(&words.join(" "));
        p.out.push('\n');
    }
    Ok(())
}

fn prefix(nameval: bool, name: &str, v: &str) -> String {
    if nameval { format!("{name}={v}") } else { v.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jls(k: &mut Kernel, a: &[&str]) -> Output {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        main(k, Ctx::HOST, &a)
    }

    #[test]
    fn default_table_matches_jls_c_widths() {
        let mut k = Kernel::demo();
        let o = jls(&mut k, &[]);
        assert_eq!(o.code, 0);
        assert_eq!(
            o.stdout,
            "   JID  IP Address      Hostname                      Path\n     1                  web1.example.org              /usr/jails/jails/web1\n"
        );
    }

    #[test]
    fn nameval_prints_booleans_as_name_or_noname_and_vnet_as_jailsys() {
        let mut k = Kernel::demo();
        let o = jls(&mut k, &["-d", "-n", "-q", "-j", "web1", "jid", "name", "vnet", "dying", "path"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(o.stdout, "jid=1 name=web1 vnet=new nodying path=/usr/jails/jails/web1\n");
        let jid = k.create_jail("db", "/j/my db", false).unwrap();
        let o = jls(&mut k, &["-n", "-q", "-j", &jid.to_string(), "path", "vnet", "host.hostname"]);
        assert_eq!(o.stdout, "path=\"/j/my db\" vnet=inherit host.hostname=fbsd14.example.org\n");
    }

    #[test]
    fn unknown_jail_and_parameter_are_errors_of_jls_c() {
        let mut k = Kernel::demo();
        let o = jls(&mut k, &["-j", "nosuch"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jls: jail \"nosuch\" not found\n"));
        let o = jls(&mut k, &["-j", "9"]);
        assert_eq!(o.stderr, "jls: jail 9 not found\n");
        let o = jls(&mut k, &["frob"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jls: unknown parameter: frob\n"));
        k.set_vimage(false);
        let o = jls(&mut k, &["vnet"]);
        assert_eq!(o.stderr, "jls: unknown parameter: vnet\n");
        let o = jls(&mut k, &["-x"]);
        assert_eq!(o.stderr, "jls: illegal option -- x\njls: usage: jls [-dhNnqv] [-j jail] [param ...]\n");
    }

    #[test]
    fn header_mode_prints_names_then_values() {
        let mut k = Kernel::demo();
        let o = jls(&mut k, &["-h", "jid", "name", "ip4.addr"]);
        assert_eq!(o.stdout, "jid name ip4.addr\n1 web1 -\n");
    }

    #[test]
    fn allow_parameters_are_jail_parameters_kern_jail_c_pr_flag_allow() {
        let mut k = Kernel::demo();
        let o = jls(&mut k, &["-j", "web1", "allow.raw_sockets", "allow.set_hostname"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "false true\n"), "{}", o.stderr);
        let o = jls(&mut k, &["-n", "-j", "web1", "allow.raw_sockets", "allow.suser"]);
        assert_eq!(o.stdout, "allow.noraw_sockets allow.suser\n", "jls.c noname: allow.noX");
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = super::super::jail::main(
            &mut k,
            Ctx::HOST,
            &a(&["-c", "name=raw", "path=/j/raw", "persist", "allow.raw_sockets", "allow.noset_hostname"]),
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        let o = jls(&mut k, &["-n", "-j", "raw", "allow.raw_sockets", "allow.set_hostname", "allow.sysvipc"]);
        assert_eq!(o.stdout, "allow.raw_sockets allow.noset_hostname allow.nosysvipc\n");
        let o = jls(&mut k, &["-j", "raw", "allow.frob"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "jls: unknown parameter: allow.frob\n"));
        let o = super::super::jail::main(&mut k, Ctx::HOST, &a(&["-c", "name=x", "persist", "allow.frob"]));
        assert_eq!((o.code, o.stderr.as_str()), (1, "jail: x: unknown parameter: allow.frob\n"));
    }

    #[test]
    fn dash_s_prints_writable_and_tunable_parameters_jid_included_jls_c_print_jail() {
        let mut k = Kernel::demo();
        let o = jls(&mut k, &["-s", "-j", "web1"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let words: Vec<&str> = o.stdout.split_whitespace().collect();
        // jid is CTLFLAG_RDTUN: printed; parent, dying, children.cur, cpuset.id are RD: not.
        assert!(words.contains(&"jid=1") && words.contains(&"path=/usr/jails/jails/web1"), "{words:?}");
        for ro in ["parent=", "dying", "nodying", "children.cur=", "cpuset.id="] {
            assert!(!words.iter().any(|w| w.starts_with(ro)), "{ro}: {words:?}");
        }
        assert!(words.contains(&"allow.set_hostname") && words.contains(&"allow.noraw_sockets"), "{words:?}");
        assert!(words.contains(&"ip4.addr=\"\""), "a vnet jail has ip4=new: {words:?}");
        // A jail with ip4=disable: ip4.addr is skipped (its jailsys parent is not new).
        let jid = k.create_jail("plain", "/j/plain", false).unwrap();
        let o = jls(&mut k, &["-s", "-j", &jid.to_string()]);
        assert!(!o.stdout.contains("ip4.addr"), "{}", o.stdout);
        // jls -n: top-level parameters first, then dotted ones (jls.c sort_param).
        let o = jls(&mut k, &["-n", "-j", "web1"]);
        let names: Vec<&str> =
            o.stdout.split_whitespace().map(|w| w.split('=').next().unwrap().trim_start_matches("no")).collect();
        let first_dotted = names.iter().position(|n| n.contains('.')).unwrap();
        assert!(names[first_dotted..].iter().all(|n| n.contains('.')), "{names:?}");
        assert_eq!(names[first_dotted], "allow.nochflags", "allow.chflags is the first dotted name: {names:?}");
    }
}
