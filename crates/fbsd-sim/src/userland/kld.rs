//! `kldstat` (sbin/kldstat/kldstat.c) and `kldload` (sbin/kldload/kldload.c).

use super::Proc;
use super::getopt::{Getopt, Opt};
use crate::Errno;
use crate::kernel::{Ctx, Kernel};
use vimage_base::Output;

const KLDSTAT_USAGE: &str =
    "usage: kldstat [-d] [-h] [-v] [-i id] [-n filename]\n       kldstat [-d] [-q] [-m modname]\n";

/// Runs `kldstat args`: `-m MOD` (with `-q`: silent, exit 0/1), `-n FILE`, or the file table.
pub(crate) fn kldstat(k: &mut Kernel, _ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("kldstat");
    let (mut quiet, mut human) = (false, false);
    let (mut modname, mut filename): (Option<String>, Option<String>) = (None, None);
    let mut g = Getopt::new(args, "dhi:m:n:qv");
    for o in g.by_ref() {
        match o {
            Opt::Flag('q', _) => quiet = true,
            Opt::Flag('h', _) => human = true,
            Opt::Flag('m', a) => modname = a,
            Opt::Flag('n', a) => filename = a,
            Opt::Flag(_, _) => {}
            Opt::Bad(m) => {
                p.warnx(&m);
                p.stderr(KLDSTAT_USAGE);
                return p.finish(1);
            }
        }
    }
    if !g.rest().is_empty() {
        p.stderr(KLDSTAT_USAGE);
        return p.finish(1);
    }
    if let Some(m) = modname {
        return match k.kld_find(&m) {
            None => {
                if !quiet {
                    p.warn(&format!("can't find module {m}"), Errno::ENOENT);
                }
                p.finish(1)
            }
            Some(_) if quiet => p.finish(0),
            Some(f) => {
                p.out.push_str("Id  Refs Name\n");
                p.out.push_str(&format!("{:>3} {:>4} {m}\n", f.modid, f.refs));
                p.finish(0)
            }
        };
    }
    let files = k.kld_files();
    let selected: Vec<_> = match &filename {
        Some(n) => {
            let m = crate::kernel::kld_module_name(n);
            match files.iter().find(|(name, _)| *name == m) {
                Some(f) => vec![*f],
                None => {
                    let _ = p.err(1, &format!("can't find file {n}"), Errno::ENOENT);
                    return p.finish(1);
                }
            }
        }
        None => files,
    };
    p.out.push_str(&format!("Id Refs Address{:11} {:>8} Name\n", "", "Size"));
    if filename.is_none() {
        p.out.push_str(&format!(
            " 1 {:>4} 0xffffffff80200000 {:>8} kernel\n",
            selected.len() + 40,
            size(0x1f3_c6c8, human)
        ));
    }
    for (name, f) in selected {
        p.out.push_str(&format!(
            "{:>2} {:>4} 0x{:x} {:>8} {name}.ko\n",
            f.fileid,
            f.refs,
            f.address,
            size(f.size, human)
        ));
    }
    p.finish(0)
}

fn size(v: u64, human: bool) -> String {
    if !human {
        return format!("{v:x}");
    }
    if v >= 1 << 20 { format!("{}M", v >> 20) } else { format!("{}K", v >> 10) }
}

/// Runs `kldload [-nqv] file…` as sbin/kldload/kldload.c `main` does: each file goes to
/// kldload(2); an EEXIST is forgiven with `-n` (`-v` then prints `X is already loaded`),
/// otherwise `can't load X: module already loaded or in kernel`; ENOEXEC has its own
/// sentence; any other error is `can't load X: <strerror>`. `-q` silences the warnings, and
/// `-q`/`-v` override each other (the last one given wins).
pub(crate) fn kldload(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("kldload");
    let (mut check_loaded, mut quiet, mut verbose) = (false, false, false);
    let mut g = Getopt::new(args, "nqv");
    for o in g.by_ref() {
        match o {
            Opt::Flag('n', _) => check_loaded = true,
            Opt::Flag('q', _) => (quiet, verbose) = (true, false),
            Opt::Flag('v', _) => (quiet, verbose) = (false, true),
            Opt::Flag(_, _) => {}
            Opt::Bad(m) => {
                p.warnx(&m);
                p.stderr("usage: kldload [-nqv] file ...\n");
                return p.finish(1);
            }
        }
    }
    let rest = g.rest();
    if rest.is_empty() {
        p.stderr("usage: kldload [-nqv] file ...\n");
        return p.finish(1);
    }
    let mut errors = 0;
    for f in rest {
        match k.kld_load(ctx, f) {
            Ok(id) => {
                if verbose {
                    p.out.push_str(&format!("Loaded {f}, id={id}\n"));
                }
            }
            Err(Errno::EEXIST) if check_loaded => {
                if verbose {
                    p.out.push_str(&format!("{f} is already loaded\n"));
                }
            }
            Err(e) => {
                if !quiet {
                    match e {
                        Errno::EEXIST => p.warnx(&format!("can't load {f}: module already loaded or in kernel")),
                        Errno::ENOEXEC => p.warnx(&format!(
                            "an error occurred while loading module {f}. Please check dmesg(8) for more details."
                        )),
                        _ => p.warn(&format!("can't load {f}"), e),
                    }
                }
                errors += 1;
            }
        }
    }
    p.finish(if errors > 0 { 1 } else { 0 })
}

/// Runs `kldunload [-fv] [-n] name …` / `kldunload [-fv] -i id …` (sbin/kldunload):
/// `can't find file X` (kldfind), `can't unload file: <strerror>`; exit 1 (EXIT_FAILURE) at
/// the first failure, 64 (EX_USAGE) for bad usage.
pub(crate) fn kldunload(k: &mut Kernel, ctx: Ctx, args: &[String]) -> Output {
    let mut p = Proc::new("kldunload");
    let usage = "usage: kldunload [-fv] -i id ...\n       kldunload [-fv] [-n] name ...\n";
    let (mut by_id, mut verbose) = (false, false);
    let mut g = Getopt::new(args, "finv");
    for o in g.by_ref() {
        match o {
            Opt::Flag('i', _) => by_id = true,
            Opt::Flag('v', _) => verbose = true,
            Opt::Flag(_, _) => {}
            Opt::Bad(m) => {
                p.warnx(&m);
                p.stderr(usage);
                return p.finish(64);
            }
        }
    }
    let rest = g.rest();
    if rest.is_empty() {
        p.stderr(usage);
        return p.finish(64);
    }
    for f in rest {
        let found: Option<(String, u32)> = if by_id {
            let id = super::atoi(f);
            k.kld_files()
                .into_iter()
                .find(|(_, lf)| i64::from(lf.fileid) == id)
                .map(|(n, lf)| (n.to_string(), lf.fileid))
        } else {
            let m = crate::kernel::kld_module_name(f);
            k.kld_find(m).map(|lf| (m.to_string(), lf.fileid))
        };
        let Some((m, id)) = found else {
            if by_id {
                let _ = p.err(1, "can't unload file", Errno::ENOENT);
            } else {
                let _ = p.errx(1, &format!("can't find file {f}"));
            }
            return p.finish(1);
        };
        if verbose {
            p.out.push_str(&format!("Unloading {m}.ko, id={id}\n"));
        }
        if let Err(e) = k.kld_unload(ctx, &m) {
            let _ = p.err(1, "can't unload file", e);
            return p.finish(1);
        }
    }
    p.finish(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(k: &mut Kernel, prog: &str, a: &[&str]) -> Output {
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        super::super::run(k, Ctx::HOST, prog, &a)
    }

    #[test]
    fn kldstat_q_m_is_silent_with_status_kldstat_c() {
        let mut k = Kernel::freebsd14();
        let o = run(&mut k, "kldstat", &["-q", "-m", "if_bridge"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
        k.unload_module("ng_ether");
        let o = run(&mut k, "kldstat", &["-q", "-m", "ng_ether"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (1, "", ""));
        let o = run(&mut k, "kldstat", &["-m", "ng_ether"]);
        assert_eq!(o.stderr, "kldstat: can't find module ng_ether: No such file or directory\n");
        let o = run(&mut k, "kldstat", &["-m", "if_epair"]);
        assert!(o.stdout.starts_with("Id  Refs Name\n"), "{}", o.stdout);
        assert!(o.stdout.ends_with(" if_epair\n"));
    }

    #[test]
    fn if_vlan_is_compiled_in_as_in_generic_kldstat_finds_it_and_kldload_n_is_a_no_op() {
        let mut k = Kernel::demo();
        let o = run(&mut k, "kldstat", &["-q", "-m", "if_vlan"]);
        assert_eq!(o.code, 0, "GENERIC has device vlan");
        let o = run(&mut k, "kldload", &["-n", "if_vlan"]);
        assert_eq!((o.code, o.stderr.as_str()), (0, ""));
        let o = run(&mut k, "kldload", &["if_vlan"]);
        assert_eq!(o.code, 1, "already there: EEXIST without -n");
    }

    #[test]
    fn kldload_semantics_kldload_c() {
        let mut k = Kernel::freebsd14();
        let o = run(&mut k, "kldload", &["if_bridge"]);
        assert_eq!(
            (o.code, o.stderr.as_str()),
            (1, "kldload: can't load if_bridge: module already loaded or in kernel\n")
        );
        let o = run(&mut k, "kldload", &["-n", "if_bridge"]);
        assert_eq!((o.code, o.stderr.as_str()), (0, ""));
        let o = run(&mut k, "kldload", &["if_nosuch"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "kldload: can't load if_nosuch: No such file or directory\n"));
        k.unload_module("ng_ether");
        let before = k.ops_done();
        let o = run(&mut k, "kldload", &["-n", "ng_ether"]);
        assert_eq!(o.code, 0);
        assert!(k.loaded_modules().contains(&"ng_ether".to_string()));
        assert_eq!(k.ops_done(), before + 1);
    }

    #[test]
    fn kldload_n_still_calls_kldload_and_only_forgives_eexist_kldload_c() {
        // kldload.c main: every file goes to kldload(2); with -n an EEXIST is not an error
        // (`-v` prints "X is already loaded"), every other error still is; -q silences the
        // warnings and -v/-q override each other.
        let mut k = Kernel::freebsd14();
        let before = k.ops_done();
        let o = run(&mut k, "kldload", &["-n", "-v", "if_bridge"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "if_bridge is already loaded\n", ""));
        assert_eq!(k.ops_done(), before + 1, "the syscall was made");
        let o = run(&mut k, "kldload", &["-n", "if_nosuch"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "kldload: can't load if_nosuch: No such file or directory\n"));
        let o = run(&mut k, "kldload", &["-q", "if_nosuch"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, ""));
        let o = run(&mut k, "kldload", &["-q", "-v", "-n", "if_bridge"]);
        assert_eq!(o.stdout, "if_bridge is already loaded\n", "-v after -q wins");
        k.unload_module("ng_ether");
        k.fail_at(1, Errno::ENOEXEC);
        let o = run(&mut k, "kldload", &["-n", "ng_ether"]);
        assert_eq!(
            (o.code, o.stderr.as_str()),
            (1, "kldload: an error occurred while loading module ng_ether. Please check dmesg(8) for more details.\n")
        );
        assert!(!k.loaded_modules().contains(&"ng_ether".to_string()));
    }

    #[test]
    fn kldload_in_a_jail_is_eperm() {
        let mut k = Kernel::demo();
        k.unload_module("ng_ether");
        let ctx = k.ctx_in_jail(1).unwrap();
        let o = super::super::run(&mut k, ctx, "kldload", &["ng_ether".to_string()]);
        assert_eq!(o.stderr, "kldload: can't load ng_ether: Operation not permitted\n");
    }

    #[test]
    fn kldunload_refuses_busy_modules_and_takes_its_interfaces_kern_linker_c() {
        let mut k = Kernel::demo();
        let o = run(&mut k, "ifconfig", &["epair", "create"]);
        assert_eq!(o.code, 0);
        let o = run(&mut k, "kldunload", &["bridgestp"]);
        assert_eq!(
            (o.code, o.stderr.as_str()),
            (1, "kldunload: can't unload file: Device busy\n"),
            "if_bridge needs it"
        );
        let o = run(&mut k, "kldunload", &["ng_ether"]);
        assert_eq!(o.stderr, "kldunload: can't unload file: Device busy\n", "em0 has an ng_ether node");
        let o = run(&mut k, "kldunload", &["-v", "if_epair.ko"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "Unloading if_epair.ko, id=2\n"));
        assert!(!run(&mut k, "ifconfig", &["-l"]).stdout.contains("epair"), "vnet_epair_uninit destroyed it");
        let o = run(&mut k, "kldunload", &["if_epair"]);
        assert_eq!((o.code, o.stderr.as_str()), (1, "kldunload: can't find file if_epair\n"));
        let o = run(&mut k, "kldload", &["if_epair"]);
        assert_eq!(o.code, 0);
        assert_eq!(run(&mut k, "ifconfig", &["epair", "create"]).stdout, "epair0a\n", "units start again");
        let jctx = k.ctx_in_jail(1).unwrap();
        let o = super::super::run(&mut k, jctx, "kldunload", &["if_bridge".to_string()]);
        assert_eq!(o.stderr, "kldunload: can't unload file: Operation not permitted\n");
        assert_eq!(run(&mut k, "kldunload", &[]).code, 64);
    }
}
