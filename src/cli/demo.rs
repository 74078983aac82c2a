//! `vimage demo`: the whole life of a jail's network against the built-in simulated host,
//! showing the FreeBSD commands each step runs and the simulated kernel afterwards.

use super::args::Args;
use super::{Ctx, Out};
use crate::error::{Error, Kind, Result};
use crate::host::SimHost;
use crate::paths::Paths;
use crate::sim::{Kernel, Sim};

fn kernel_state(h: &SimHost) -> String {
    let k = &h.sim().kernel;
    let mut s = String::new();
    let describe = |name: &str, v: Option<crate::sim::IfView>| -> String {
        match v {
            Some(v) => {
                let mut parts = vec![name.to_string()];
                if !v.members.is_empty() {
                    parts.push(format!("members [{}]", v.members.join(" ")));
                }
                if let Some(d) = v.description.filter(|d| d.starts_with("vimage")) {
                    parts.push(format!("\"{d}\""));
                }
                if name != "lo0"
                    && let Some(m) = v.mac
                {
                    parts.push(m);
                }
                parts.push(if v.up { "UP".into() } else { "down".into() });
                parts.join(" ")
            }
            None => name.to_string(),
        }
    };
    s.push_str("   kernel, host vnet: ");
    s.push_str(&k.host_ifnames().iter().map(|n| describe(n, k.host_iface(n))).collect::<Vec<_>>().join(", "));
    s.push_str("\n   kernel, jail web1: ");
    s.push_str(
        &k.jail_ifnames("web1").iter().map(|n| describe(n, k.jail_iface("web1", n))).collect::<Vec<_>>().join(", "),
    );
    s.push('\n');
    let nodes: Vec<String> = k
        .ng_snapshot()
        .into_iter()
        .filter(|n| n.vnet == "host")
        .map(|n| match (n.type_name.as_str(), n.ether_flags) {
            ("ether", Some((p, a))) => format!("{} (ether, promisc {}, autosrc {})", n.name, u8::from(p), u8::from(a)),
            (t, _) => format!("{} ({t}, {} hooks)", n.name, n.hooks.len()),
        })
        .collect();
    s.push_str(&format!("   kernel, host netgraph: {}\n", nodes.join(", ")));
    s
}

/// Runs the demo.
pub fn run(_a: &Args, stdout: &Out) -> Result<i32> {
    let dir = tempfile::Builder::new()
        .prefix("vimage-demo")
        .tempdir()
        .map_err(|e| Error::new(Kind::CantCreate, format!("cannot create a temporary directory: {e}")))?;
    let paths = Paths::rooted(dir.path());
    // web1's root holds a FreeBSD /bin/sh: the userland vimage reads from it.
    let bin = dir.path().join("usr/jails/jails/web1/bin");
    std::fs::create_dir_all(&bin)
        .and_then(|_| std::fs::write(bin.join("sh"), crate::elf::sample::freebsd()))
        .map_err(|e| Error::new(Kind::CantCreate, format!("cannot write the demo jail's /bin/sh: {e}")))?;
    let mut kernel = Kernel::demo();
    kernel.set_root(Some(dir.path().to_path_buf()));
    let mut host = SimHost::new(Sim::new(kernel));
    let mut out = String::from(
        "vimage demo: a simulated FreeBSD 14.2 host (nothing on this machine is touched)\n\
         uplink em0 192.168.1.10/24 holds the default route; vnet jail web1 is running (jid 1)\n\n",
    );
    out.push_str(&kernel_state(&host));
    let steps: [&[&str]; 10] = [
        &["vimage", "bridge", "jname=web1", "--dry-run"],
        &["vimage", "bridge", "jname=web1"],
        &["vimage", "bridge", "jname=web1"],
        &["vimage", "status"],
        &["vimage", "unbridge", "jname=web1"],
        &["vimage", "unbridge", "jname=web1"],
        &["vimage", "status"],
        &["vimage", "bridge", "jname=web1", "bridges=em0 em0"],
        &["vimage", "status"],
        &["vimage", "unbridge", "jname=web1"],
    ];
    for argv in steps {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        out.push_str(&format!("\n$ {}\n", argv.iter().map(|a| shell_word(a)).collect::<Vec<_>>().join(" ")));
        host.clear_invocations();
        let mut ctx = Ctx { paths: paths.clone(), host: &mut host, lock_timeout: crate::ops::LOCK_TIMEOUT };
        match super::run(&argv, &mut ctx) {
            Ok(o) => out.push_str(&indent(&o.stdout)),
            Err(e) => out.push_str(&indent(&format!("error (exit {}): {e}\n", e.exit_code()))),
        }
        let cmds = host.invocations();
        if argv.iter().any(|a| a == "--dry-run") {
            // The plan above lists the commands a real run would make; these only looked.
            out.push_str(&format!(
                "   FreeBSD commands run ({}, all queries: a dry run runs none of the planned commands):\n",
                cmds.len()
            ));
        } else {
            out.push_str(&format!("   FreeBSD commands run ({}, queries included):\n", cmds.len()));
        }
        for c in cmds {
            out.push_str(&format!("     {}\n", c.to_string().replace('\n', "\n       ")));
        }
        out.push_str(&kernel_state(&host));
    }
    stdout.print(&out);
    Ok(0)
}

/// `a` as an admin would type it into sh(1): as it is when it holds only plain characters,
/// else `key="value"` (CBSD's style) or `'a'`, so every command line the demo shows can be
/// copied and pasted.
fn shell_word(a: &str) -> String {
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-=,.:/@%+".contains(&b));
    if plain(a) {
        return a.to_string();
    }
    match a.split_once('=') {
        Some((k, v)) if plain(k) && !k.starts_with('-') && !v.contains(['"', '\\', '$', '`']) => format!("{k}=\"{v}\""),
        _ => format!("'{}'", a.replace('\'', "'\\''")),
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("   {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_can_be_pasted_into_sh() {
        assert_eq!(shell_word("jname=web1"), "jname=web1");
        assert_eq!(shell_word("bridges=em0 em0"), "bridges=\"em0 em0\"");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("x=$y z"), r"'x=$y z'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn the_demo_quotes_its_commands_and_says_what_a_dry_run_ran() {
        let out = Out::capture();
        assert_eq!(run(&Args::default(), &out).unwrap(), 0);
        let t = out.stdout();
        assert!(t.contains("$ vimage bridge jname=web1 bridges=\"em0 em0\"\n"), "{t}");
        assert!(!t.contains("bridges=em0 em0"), "{t}");
        assert!(t.contains("all queries: a dry run runs none of the planned commands"), "{t}");
        assert!(!t.contains("em0: ("), "no stray colon: {t}");
        assert!(t.contains("creating netgraph bridge vimage_em0 on em0 (lower and upper hooks"), "{t}");
    }
}
