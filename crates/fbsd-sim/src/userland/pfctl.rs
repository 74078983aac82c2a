//! `pfctl` (sbin/pfctl/pfctl.c) as far as private jail networks need: `-e`, `-d`, `-s info`,
//! `-s nat`, `-s rules`, `-s Anchors`, `-f FILE|-`, `-n`, `-F all|rules|nat`, each with `-a
//! ANCHOR`. The rules are read by [`super::pfctl_parse`] (parse.y's subset).
//!
//! pfctl.c `main`'s order is kept: `-d` first, then `-F`, then `-s`, then `-f`, then `-e`
//! last (so `pfctl -ef FILE` loads, then enables). Without `-n`, `/dev/pf` is opened first
//! and its absence is `pfctl: /dev/pf: No such file or directory`, exit 1; with `-n` the
//! device is optional (`PF_OPT_DUMMYACTION`), so a file can be checked with pf not loaded.

use super::Proc;
use super::fs::Files;
use super::getopt::{Getopt, Opt};
use super::pfctl_parse::{self, Parsed};
use crate::Errno;
use crate::kernel::{Ctx, Kernel, Ruleset};
use vimage_base::Output;

/// pfctl.c `usage`.
const USAGE: &str = "usage: pfctl [-AdeghMmNnOPqRSrvz] [-a anchor] [-D macro=value] [-F modifier]\n\
\t[-f file] [-i interface] [-K host | network]\n\
\t[-k host | network | label | id] [-o level] [-p device]\n\
\t[-s modifier] [-t table -T command [address ...]] [-x level]\n";

/// pfctl.c `showopt_list` and `clearopt_list`, matched by unique prefix
/// (`pfctl_lookup_option`).
const SHOW: &[&str] = &[
    "ether",
    "nat",
    "queue",
    "rules",
    "Anchors",
    "Sources",
    "states",
    "info",
    "Interfaces",
    "labels",
    "timeouts",
    "memory",
    "Tables",
    "osfp",
    "Running",
    "all",
    "creatorids",
];
const CLEAR: &[&str] = &["nat", "queue", "rules", "Sources", "states", "info", "Tables", "osfp", "all", "ethernet"];

fn lookup(arg: &str, list: &[&'static str]) -> Option<&'static str> {
    if let Some(exact) = list.iter().find(|o| **o == arg) {
        return Some(exact);
    }
    let m: Vec<&&str> = list.iter().filter(|o| !arg.is_empty() && o.starts_with(arg)).collect();
    if m.len() == 1 { Some(m[0]) } else { None }
}

#[derive(Default)]
struct Opts {
    anchor: String,
    enable: bool,
    disable: bool,
    noaction: bool,
    quiet: bool,
    file: Option<String>,
    show: Option<&'static str>,
    clear: Option<&'static str>,
}

/// Runs `pfctl args` as the process `ctx`, with `stdin` for `-f -`.
pub(crate) fn main(k: &mut Kernel, ctx: Ctx, args: &[String], stdin: Option<&str>) -> Output {
    let mut p = Proc::new("pfctl");
    let r = run(k, ctx, args, stdin, &mut p);
    p.finish_with(r)
}

fn usage(p: &mut Proc) -> Result<(), super::Exit> {
    p.stderr(USAGE);
    Err(super::Exit(1))
}

fn run(k: &mut Kernel, ctx: Ctx, args: &[String], stdin: Option<&str>, p: &mut Proc) -> Result<(), super::Exit> {
    let mut o = Opts::default();
    let mut g = Getopt::new(args, "a:AdD:eqf:F:ghi:k:K:mMnNOo:Pp:rRs:St:T:vx:z");
    for opt in g.by_ref() {
        match opt {
            Opt::Flag('a', a) => o.anchor = a.unwrap_or_default(),
            Opt::Flag('d', _) => o.disable = true,
            Opt::Flag('e', _) => o.enable = true,
            Opt::Flag('n', _) => o.noaction = true,
            Opt::Flag('q', _) => o.quiet = true,
            Opt::Flag('v', _) => {}
            Opt::Flag('f', a) => o.file = a,
            Opt::Flag('s', a) => {
                let a = a.unwrap_or_default();
                match lookup(&a, SHOW) {
                    Some(s) => o.show = Some(s),
                    None => {
                        p.warnx(&format!("Unknown show modifier '{a}'"));
                        return usage(p);
                    }
                }
            }
            Opt::Flag('F', a) => {
                let a = a.unwrap_or_default();
                match lookup(&a, CLEAR) {
                    Some(s) => o.clear = Some(s),
                    None => {
                        p.warnx(&format!("Unknown flush modifier '{a}'"));
                        return usage(p);
                    }
                }
            }
            Opt::Flag(c, _) => {
                return Err(p.errx(1, &format!("-{c} is not simulated")));
            }
            Opt::Bad(m) => {
                p.warnx(&m);
                return usage(p);
            }
        }
    }
    if !g.rest().is_empty() || !(o.enable || o.disable || o.file.is_some() || o.show.is_some() || o.clear.is_some()) {
        return usage(p);
    }
    // pfctl.c: the anchor's path components end at the first `*` only for -s/-F.
    let anchor = o.anchor.trim_end_matches('/').to_string();
    if !o.noaction && k.pf_open(ctx).is_err() {
        return Err(p.err(1, "/dev/pf", Errno::ENOENT));
    }
    let fail = |p: &mut Proc, what: &str, e: Errno| Err(p.err(1, what, e));
    if o.disable && !o.noaction {
        match k.pf_set_running(ctx, false) {
            Ok(()) if !o.quiet => p.stderr("pf disabled\n"),
            Ok(()) => {}
            Err(Errno::ENOENT) => return Err(p.errx(1, "pf not enabled")),
            Err(e) => return fail(p, "DIOCSTOP", e),
        }
    }
    if let Some(c) = o.clear
        && !o.noaction
    {
        clear(k, ctx, &anchor, c, o.quiet, p)?;
    }
    if let Some(s) = o.show {
        show(k, ctx, &anchor, s, p)?;
    }
    if let Some(f) = &o.file {
        load(k, ctx, &anchor, f, stdin, o.noaction, p)?;
    }
    if o.enable && !o.noaction {
        match k.pf_set_running(ctx, true) {
            Ok(()) if !o.quiet => p.stderr("pf enabled\n"),
            Ok(()) => {}
            Err(Errno::EEXIST) => return Err(p.errx(1, "pf already enabled")),
            Err(e) => return fail(p, "DIOCSTART", e),
        }
    }
    Ok(())
}

/// `-F`: pfctl.c `pfctl_clear_rules` ("rules cleared"), `pfctl_clear_nat` ("nat cleared"),
/// and for `all` the tables (none are simulated: "0 tables deleted.").
fn clear(k: &mut Kernel, ctx: Ctx, anchor: &str, what: &str, quiet: bool, p: &mut Proc) -> Result<(), super::Exit> {
    let Ok(pf) = k.pf_open(ctx) else { return Err(p.err(1, "/dev/pf", Errno::ENOENT)) };
    let mut rs = pf.ruleset(anchor).cloned().unwrap_or_default();
    let mut said = Vec::new();
    if matches!(what, "rules" | "all") {
        rs.scrub.clear();
        rs.filter.clear();
        said.push("rules cleared");
    }
    if matches!(what, "nat" | "all") {
        rs.nat.clear();
        rs.rdr.clear();
        said.push("nat cleared");
    }
    if what == "all" {
        said.push("0 tables deleted.");
    }
    if said.is_empty() {
        return Err(p.errx(1, &format!("-F {what} is not simulated")));
    }
    if let Err(e) = k.pf_commit(ctx, anchor, rs, None) {
        return Err(p.err(1, "DIOCXCOMMIT", e));
    }
    if !quiet {
        for s in said {
            p.stderr(&format!("{s}\n"));
        }
    }
    Ok(())
}

/// `-s`: `info` (pfctl_parser.c `print_status`'s first line: `%-44s` then `%15s`), `nat`
/// (nat, then rdr rules: pfctl.c `pfctl_show_nat`), `rules` (scrub, then filter:
/// `pfctl_show_rules`), `Anchors` (`pfctl_show_anchors`: two spaces, the path). A missing
/// anchor is `DIOCGETRULES: Invalid argument` (pf_ioctl.c: `pf_find_kruleset` → EINVAL).
fn show(k: &mut Kernel, ctx: Ctx, anchor: &str, what: &str, p: &mut Proc) -> Result<(), super::Exit> {
    let Ok(pf) = k.pf_open(ctx) else { return Err(p.err(1, "/dev/pf", Errno::ENOENT)) };
    let rules = |p: &mut Proc| match pf.ruleset(anchor) {
        Some(r) => Ok(r.clone()),
        None => Err(p.err(1, "DIOCGETRULES", Errno::EINVAL)),
    };
    match what {
        "info" => {
            let st = if pf.running { "Status: Enabled for 0 days 00:00:00" } else { "Status: Disabled" };
            p.out.push_str(&format!("{st:<44}{:>15}\n\n", "Debug: Urgent"));
            p.out.push_str("State Table                          Total             Rate\n");
            p.out.push_str(&format!("  {:<25}{:>14}\n", "current entries", 0));
        }
        "nat" => {
            let r = rules(p)?;
            for l in r.nat.iter().chain(&r.rdr) {
                p.out.push_str(l);
                p.out.push('\n');
            }
        }
        "rules" => {
            let r = rules(p)?;
            for l in r.scrub.iter().chain(&r.filter) {
                p.out.push_str(l);
                p.out.push('\n');
            }
        }
        "Anchors" => {
            if !anchor.is_empty() && pf.ruleset(anchor).is_none() && pf.children(anchor).is_empty() {
                let top = pf.children("");
                if !top.iter().any(|t| anchor.starts_with(t.as_str())) {
                    return Err(p.err(1, "DIOCGETRULESETS", Errno::EINVAL));
                }
            }
            for a in pf.children(anchor) {
                p.out.push_str(&format!("  {a}\n"));
            }
        }
        other => return Err(p.errx(1, &format!("-s {other} is not simulated"))),
    }
    Ok(())
}

/// `-f FILE|-` (pfctl.c `pfctl_rules`): parse all, then commit the whole ruleset in one
/// transaction; any error loads nothing. With `-n` only the parse.
fn load(
    k: &mut Kernel,
    ctx: Ctx,
    anchor: &str,
    file: &str,
    stdin: Option<&str>,
    noaction: bool,
    p: &mut Proc,
) -> Result<(), super::Exit> {
    let (text, name) = if file == "-" {
        (Ok(stdin.unwrap_or_default().to_string()), "stdin".to_string())
    } else {
        (Files::of(k, ctx).read(file), file.to_string())
    };
    let parsed: Result<Parsed, Vec<String>> = match text {
        Ok(t) => pfctl_parse::parse(&t, &name),
        Err(e) => {
            p.warn(&name, e);
            Err(Vec::new())
        }
    };
    let parsed = match parsed {
        Ok(x) => x,
        Err(msgs) => {
            for m in msgs {
                p.stderr(&format!("{m}\n"));
            }
            if noaction {
                return Err(super::Exit(1));
            }
            return Err(p.errx(1, "Syntax error in config file: pf rules not loaded"));
        }
    };
    if noaction {
        return Ok(());
    }
    let skip = anchor.is_empty().then(|| parsed.skip.clone());
    let rules: Ruleset = parsed.rules;
    if let Err(e) = k.pf_commit(ctx, anchor, rules, skip) {
        return Err(p.err(1, "DIOCXCOMMIT", e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(k: &mut Kernel, args: &[&str], stdin: Option<&str>) -> Output {
        let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        main(k, Ctx::HOST, &a, stdin)
    }

    fn pf_host() -> Kernel {
        let mut k = Kernel::freebsd14();
        k.load_module("pf");
        k
    }

    #[test]
    fn no_dev_pf_without_the_module_pfctl_c_main_open() {
        let mut k = Kernel::freebsd14();
        let o = run(&mut k, &["-s", "info"], None);
        assert_eq!((o.code, o.stderr.as_str()), (1, "pfctl: /dev/pf: No such file or directory\n"));
        let o = run(&mut k, &["-n", "-f", "-"], Some("pass all\n"));
        assert_eq!(o.code, 0, "-n parses without the device (PF_OPT_DUMMYACTION): {o:?}");
    }

    #[test]
    fn kldload_pf_makes_dev_pf_and_kldunload_forgets_the_rules_pf_ioctl_c_pf_unload() {
        let mut k = Kernel::freebsd14();
        assert!(!k.loaded_modules().contains(&"pf".to_string()), "a stock host loads pf only with pf_enable");
        let o = super::super::run(&mut k, Ctx::HOST, "kldload", &["pf".to_string()]);
        assert_eq!(o.code, 0, "{o:?}");
        assert_eq!(run(&mut k, &["-a", "vimage/x", "-f", "-"], Some("pass all\n")).code, 0);
        assert_eq!(run(&mut k, &["-e"], None).code, 0);
        let o = super::super::run(&mut k, Ctx::HOST, "kldunload", &["pf".to_string()]);
        assert_eq!(o.code, 0, "{o:?}");
        assert_eq!(run(&mut k, &["-s", "info"], None).code, 1);
        k.load_module("pf");
        assert_eq!(k.host_pf().cloned(), Some(crate::kernel::Pf::default()));
        let jctx = k.ctx_in_jail(1);
        assert!(jctx.is_none() || main(&mut k, jctx.unwrap(), &[], None).code == 1);
    }

    #[test]
    fn enable_disable_and_status_pfctl_c_pfctl_enable() {
        let mut k = pf_host();
        let o = run(&mut k, &["-s", "info"], None);
        let first = format!("{:<44}{:>15}\n\n", "Status: Disabled", "Debug: Urgent");
        assert!(o.stdout.starts_with(&first), "{o:?}");
        assert_eq!(first.len(), 44 + 15 + 2);
        let o = run(&mut k, &["-e"], None);
        assert_eq!((o.code, o.stderr.as_str()), (0, "pf enabled\n"));
        let o = run(&mut k, &["-e"], None);
        assert_eq!((o.code, o.stderr.as_str()), (1, "pfctl: pf already enabled\n"));
        assert!(run(&mut k, &["-s", "info"], None).stdout.starts_with("Status: Enabled for "));
        assert_eq!(run(&mut k, &["-d"], None).stderr, "pf disabled\n");
        let o = run(&mut k, &["-d"], None);
        assert_eq!((o.code, o.stderr.as_str()), (1, "pfctl: pf not enabled\n"));
    }

    #[test]
    fn anchor_load_show_flush_and_nothing_loaded_on_error_pfctl_c_pfctl_rules() {
        let mut k = pf_host();
        let rules = "nat on em0 inet from 10.77.0.0/24 to any -> (em0)\n\
                     rdr on em0 inet proto tcp from any to any port 8080 -> 10.77.0.2 port 80\n";
        let o = run(&mut k, &["-a", "vimage/jails", "-f", "-"], Some(rules));
        assert_eq!(o.code, 0, "{o:?}");
        let o = run(&mut k, &["-a", "vimage/jails", "-s", "nat"], None);
        assert_eq!(
            o.stdout,
            "nat on em0 inet from 10.77.0.0/24 to any -> (em0) round-robin\n\
             rdr on em0 inet proto tcp from any to any port = http-alt -> 10.77.0.2 port 80\n"
        );
        assert_eq!(run(&mut k, &["-s", "Anchors"], None).stdout, "  vimage\n");
        assert_eq!(run(&mut k, &["-a", "vimage", "-s", "Anchors"], None).stdout, "  vimage/jails\n");
        let before = k.host_pf().cloned();
        let o = run(&mut k, &["-a", "vimage/jails", "-f", "-"], Some("pass all\nnat on em0\n"));
        assert_eq!(
            (o.code, o.stderr.as_str()),
            (1, "stdin:2: syntax error\npfctl: Syntax error in config file: pf rules not loaded\n")
        );
        assert_eq!(k.host_pf().cloned(), before, "nothing loaded on error");
        let o = run(&mut k, &["-a", "vimage/jails", "-F", "all"], None);
        assert_eq!((o.code, o.stderr.as_str()), (0, "rules cleared\nnat cleared\n0 tables deleted.\n"));
        let o = run(&mut k, &["-a", "vimage/jails", "-s", "nat"], None);
        assert_eq!((o.code, o.stderr.as_str()), (1, "pfctl: DIOCGETRULES: Invalid argument\n"));
        assert_eq!(run(&mut k, &["-s", "Anchors"], None).stdout, "");
    }

    #[test]
    fn main_ruleset_from_a_file_with_n_checking_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let conf = "set skip on lo0\nnat-anchor \"vimage/*\"\nrdr-anchor \"vimage/*\"\npass all\nanchor \"vimage/*\"\n";
        std::fs::write(dir.path().join("etc/pf.conf"), conf).unwrap();
        let mut k = pf_host();
        k.set_root(Some(dir.path().to_path_buf()));
        let o = run(&mut k, &["-nf", "/etc/pf.conf"], None);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
        assert_eq!(k.host_pf().unwrap().main, Ruleset::default(), "-n loads nothing");
        assert_eq!(run(&mut k, &["-f", "/etc/pf.conf"], None).code, 0);
        assert_eq!(
            run(&mut k, &["-s", "nat"], None).stdout,
            "nat-anchor \"vimage/*\" all\nrdr-anchor \"vimage/*\" all\n"
        );
        assert_eq!(
            run(&mut k, &["-s", "rules"], None).stdout,
            "pass all flags S/SA keep state\nanchor \"vimage/*\" all\n"
        );
        std::fs::write(dir.path().join("etc/pf.conf"), "pass all\nnat on em0 from any to any -> (em0)\n").unwrap();
        let o = run(&mut k, &["-n", "-f", "/etc/pf.conf"], None);
        assert_eq!(
            (o.code, o.stderr.as_str()),
            (1, "/etc/pf.conf:2: Rules must be in order: options, normalization, queueing, translation, filtering\n")
        );
        let o = run(&mut k, &["-f", "/etc/nope.conf"], None);
        assert_eq!(
            o.stderr,
            "pfctl: /etc/nope.conf: No such file or directory\npfctl: Syntax error in config file: pf rules not loaded\n"
        );
    }
}
