//! `devfs` (sbin/devfs/devfs.c, rule.c): `devfs [-m mount] rule [-s N] add|del|delset|show|
//! showsets|applyset …` and `devfs [-m mount] ruleset N`, with their error texts
//! (`devfs rule: ioctl DEVFSIO_RADD: No such process`, `devfs: open: X: No such file or
//! directory`, `devfs rule: unknown argument: X`).

use super::getopt::{Getopt, Opt};
use super::{Exit, Proc};
use crate::Errno;
use crate::kernel::devfs::{atonum, parse_rule};
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

const USAGE: &str = "usage: devfs rule|ruleset arguments\n";

/// Runs `devfs args`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("devfs");
    let r = run(k, ctx, args, &mut p);
    p.finish_with(r)
}

fn usage(p: &mut Proc) -> Exit {
    p.stderr(USAGE);
    Exit(1)
}

fn eatonum(p: &mut Proc, s: &str) -> Result<u16, Exit> {
    atonum(s).ok_or_else(|| p.errx(1, &format!("error converting to number: {s}")))
}

fn run(k: &mut Kernel, ctx: Ctx, args: &[String], p: &mut Proc) -> Result<(), Exit> {
    let mut mount = "/dev".to_string();
    let mut g = Getopt::new(args, "m:");
    for o in g.by_ref() {
        match o {
            Opt::Flag('m', Some(m)) => mount = m,
            Opt::Flag(..) | Opt::Bad(_) => return Err(usage(p)),
        }
    }
    let rest = g.rest().to_vec();
    if rest.is_empty() {
        return Err(usage(p));
    }
    // Inside a jail, paths are under the jail's root.
    if let Some(j) = ctx.jail.and_then(|j| k.jail(j)) {
        mount = format!("{}{mount}", j.path.trim_end_matches('/'));
    }
    // open(mountpt, O_RDONLY): a path that is no devfs mount is, in this model, no path.
    if !k.devfs_is_mount(&mount) {
        return Err(p.err(1, &format!("open: {mount}"), Errno::ENOENT));
    }
    match rest[0].as_str() {
        "rule" => rule(k, ctx, &mount, &rest, p),
        "ruleset" => {
            let mut p2 = Proc::new("devfs ruleset");
            let r = (|| {
                let n = rest.get(1).ok_or_else(|| usage(&mut p2))?.clone();
                let n = eatonum(&mut p2, &n)?;
                k.devfs_use(ctx, &mount, n).map_err(|e| p2.err(1, "ioctl DEVFSIO_SUSE", e))
            })();
            p.err.push_str(&p2.err);
            r
        }
        other => Err(p.errx(1, &format!("unknown command: {other}"))),
    }
}

/// `rule_main`: setprogname("devfs rule"), getopt `s:`, then the sub-command.
fn rule(k: &mut Kernel, ctx: Ctx, mount: &str, av: &[String], outer: &mut Proc) -> Result<(), Exit> {
    let mut p = Proc::new("devfs rule");
    let r = rule_inner(k, ctx, mount, av, &mut p);
    outer.out.push_str(&p.out);
    outer.err.push_str(&p.err);
    r
}

fn rule_inner(k: &mut Kernel, ctx: Ctx, mount: &str, av: &[String], p: &mut Proc) -> Result<(), Exit> {
    let mut set = 0u16;
    let mut g = Getopt::new(&av[1..], "s:");
    let mut sarg = None;
    for o in g.by_ref() {
        match o {
            Opt::Flag('s', Some(v)) => sarg = Some(v),
            _ => return Err(usage(p)),
        }
    }
    if let Some(v) = sarg {
        set = eatonum(p, &v)?;
    }
    let rest = g.rest().to_vec();
    let Some(cmd) = rest.first() else {
        return Err(usage(p));
    };
    match cmd.as_str() {
        "add" => {
            if rest.len() < 2 {
                return Err(usage(p));
            }
            if rest[1] == "-" {
                return Err(p.errx(1, "reading rules from stdin is not simulated"));
            }
            let (rnum, r) = parse_rule(&rest[1..]).map_err(|m| p.errx(1, &m))?;
            k.devfs_rule_add(ctx, mount, set, rnum, r).map_err(|e| p.err(1, "ioctl DEVFSIO_RADD", e))?;
            Ok(())
        }
        "del" => {
            let n = rest.get(1).ok_or_else(|| usage(p))?.clone();
            let n: u16 = n.parse().map_err(|_| p.errx(1, &format!("error converting to integer: {n}")))?;
            k.devfs_rule_del(ctx, mount, set, n).map_err(|e| p.err(1, "ioctl DEVFSIO_RDEL", e))
        }
        "delset" => {
            if rest.len() != 1 {
                return Err(usage(p));
            }
            let rules = match k.devfs_rules(ctx, mount, set) {
                Ok(r) => r,
                Err(Errno::ENOENT) => return Ok(()),
                Err(e) => return Err(p.err(1, "ioctl DEVFSIO_RGETNEXT", e)),
            };
            for (n, _) in rules {
                k.devfs_rule_del(ctx, mount, set, n).map_err(|e| p.err(1, "ioctl DEVFSIO_RDEL", e))?;
            }
            Ok(())
        }
        "show" => {
            let rules = match k.devfs_rules(ctx, mount, set) {
                Ok(r) => r,
                Err(Errno::ENOENT) => Vec::new(),
                Err(e) => return Err(p.err(1, "ioctl DEVFSIO_RGETNEXT", e)),
            };
            let only = match rest.get(1) {
                Some(n) => Some(n.parse::<u16>().map_err(|_| p.errx(1, &format!("error converting to integer: {n}")))?),
                None => None,
            };
            for (n, r) in rules {
                if only.is_none_or(|o| o == n) {
                    p.out.push_str(&format!("{n}{}\n", r.describe()));
                }
            }
            Ok(())
        }
        "showsets" => {
            if rest.len() != 1 {
                return Err(usage(p));
            }
            let sets = k.devfs_sets(ctx, mount).map_err(|e| p.err(1, "ioctl DEVFSIO_SGETNEXT", e))?;
            for s in sets {
                p.out.push_str(&format!("{s}\n"));
            }
            Ok(())
        }
        "applyset" => {
            if rest.len() != 1 {
                return Err(usage(p));
            }
            k.devfs_applyset(ctx, mount, set).map_err(|e| p.err(1, "ioctl DEVFSIO_SAPPLY", e))
        }
        "apply" => Err(p.errx(1, "rule apply is not simulated")),
        other => Err(p.errx(1, &format!("unknown command: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devfs(k: &mut Kernel, a: &[&str]) -> Output {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        main(k, Ctx::HOST, &a)
    }

    const JAIL_DEV: &str = "/usr/jails/jails/web1/dev";

    #[test]
    fn stock_rulesets_are_loaded_and_hide_bpf_in_a_vnet_jail() {
        let k = Kernel::demo();
        assert_eq!(
            k.devfs_show(5).unwrap(),
            ["100 include 1", "200 include 2", "300 include 3", "400 include 4", "500 path pf unhide"]
        );
        let seen = k.devfs_visible(JAIL_DEV).unwrap();
        assert!(!seen.iter().any(|d| d.starts_with("bpf")), "{seen:?}");
        for d in ["null", "zero", "pf", "fuse", "zfs", "ptmx", "stdin", "fd/0"] {
            assert!(seen.iter().any(|x| x == d), "{d} should be visible: {seen:?}");
        }
        assert!(!seen.iter().any(|x| x == "mem"));
        assert!(k.devfs_visible("/dev").unwrap().iter().any(|d| d == "bpf"), "the host sees everything");
    }

    #[test]
    fn a_ruleset_that_only_includes_5_hides_nothing_because_rule_depth_is_1() {
        let mut k = Kernel::demo();
        for a in
            [&["rule", "-s", "60", "add", "include", "5"][..], &["rule", "-s", "60", "add", "path", "bpf*", "unhide"]]
        {
            assert_eq!(devfs(&mut k, a).code, 0);
        }
        assert_eq!(devfs(&mut k, &["-m", JAIL_DEV, "ruleset", "60"]).code, 0);
        assert_eq!(devfs(&mut k, &["-m", JAIL_DEV, "rule", "-s", "60", "applyset"]).code, 0);
        // Applying onto the hidden state of ruleset 5 changes only pf/bpf; a fresh mount shows
        // all: the nested includes of 5 were not followed.
        let spec_path = "/j/x";
        k.create_jail_with("x", spec_path, true, Some(60)).unwrap();
        let seen = k.devfs_visible("/j/x/dev").unwrap();
        assert!(seen.iter().any(|x| x == "mem"), "nothing hidden: {seen:?}");
    }

    #[test]
    fn vimages_flat_ruleset_is_ruleset_5_plus_bpf() {
        let mut k = Kernel::demo();
        for n in [1, 2, 3, 4, 5] {
            assert_eq!(devfs(&mut k, &["rule", "-s", "50", "add", "include", &n.to_string()]).code, 0);
        }
        assert_eq!(devfs(&mut k, &["rule", "-s", "50", "add", "path", "bpf*", "unhide"]).code, 0);
        let o = devfs(&mut k, &["rule", "-s", "50", "show"]);
        assert_eq!(
            o.stdout,
            "100 include 1\n200 include 2\n300 include 3\n400 include 4\n500 include 5\n600 path bpf* unhide\n"
        );
        let before = k.devfs_visible(JAIL_DEV).unwrap();
        assert_eq!(devfs(&mut k, &["-m", JAIL_DEV, "ruleset", "50"]).code, 0);
        assert_eq!(k.devfs_visible(JAIL_DEV).unwrap(), before, "ruleset alone changes nothing visible");
        assert_eq!(devfs(&mut k, &["-m", JAIL_DEV, "rule", "-s", "50", "applyset"]).code, 0);
        let mut want = before.clone();
        want.extend(["bpf".to_string(), "bpf0".to_string()]);
        want.sort();
        let mut got = k.devfs_visible(JAIL_DEV).unwrap();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(k.devfs_mount_ruleset(JAIL_DEV), Some(50));
        // Back to 5: bpf hidden again.
        assert_eq!(devfs(&mut k, &["-m", JAIL_DEV, "ruleset", "5"]).code, 0);
        assert_eq!(devfs(&mut k, &["-m", JAIL_DEV, "rule", "-s", "5", "applyset"]).code, 0);
        assert_eq!(k.devfs_visible(JAIL_DEV).unwrap(), before);
        // delset empties and reaps it (no mount uses it any more).
        assert_eq!(devfs(&mut k, &["rule", "-s", "50", "delset"]).code, 0);
        assert!(!devfs(&mut k, &["rule", "showsets"]).stdout.lines().any(|l| l == "50"));
        assert_eq!(devfs(&mut k, &["rule", "-s", "50", "delset"]).code, 0, "delset of a missing set is a no-op");
    }

    #[test]
    fn errors_are_devfs_s() {
        let mut k = Kernel::demo();
        let o = devfs(&mut k, &["rule", "-s", "50", "add", "include", "77"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "devfs rule: ioctl DEVFSIO_RADD: No such process\n"));
        let o = devfs(&mut k, &["rule", "-s", "50", "add", "include", "$devfsrules_jail_vnet"]);
        assert_eq!(o.stderr, "devfs rule: error converting to number: $devfsrules_jail_vnet\n");
        let o = devfs(&mut k, &["rule", "-s", "50", "add", "path", "bpf*", "show"]);
        assert_eq!(o.stderr, "devfs rule: unknown argument: show\n");
        let o = devfs(&mut k, &["-m", "/nowhere/dev", "rule", "-s", "5", "applyset"]);
        assert_eq!(o.stderr, "devfs: open: /nowhere/dev: No such file or directory\n");
        let o = devfs(&mut k, &["-m", JAIL_DEV, "rule", "-s", "99", "applyset"]);
        assert_eq!(o.stderr, "devfs rule: ioctl DEVFSIO_SAPPLY: No such process\n");
        let o = devfs(&mut k, &["rule", "add", "hide"]);
        assert_eq!(o.stderr, "devfs rule: ioctl DEVFSIO_RADD: Input/output error\n", "set 0 on /dev");
        let o = devfs(&mut k, &["rule", "-s", "x", "show"]);
        assert_eq!(o.stderr, "devfs rule: error converting to number: x\n");
        let o = devfs(&mut k, &["bogus"]);
        assert_eq!(o.stderr, "devfs: unknown command: bogus\n");
        let o = devfs(&mut k, &[]);
        assert_eq!((o.code, o.stderr.as_str()), (1, USAGE));
        let ctx = k.ctx_in_jail(1).unwrap();
        let o = main(&mut k, ctx, &["rule".into(), "showsets".into()]);
        assert_eq!(o.code, 1, "no devfs /dev in the jail's context path or EPERM: {}", o.stderr);
    }
}
