//! Issue 12's "must refuse, before any change" cases, in one place: the robustness test and
//! the campaign's "admin mistakes" row run the same list. Each is an ordinary admin mistake
//! that vimage must refuse with a sysexits code and a message naming what is wrong, leaving
//! the simulated kernel exactly as it was.
//!
//! To add cases, append to [`cases`]: `args` are `OsString`s (item 9's non-UTF-8 arguments),
//! `close_stdout` runs vimage with its stdout already closed (item 9's closed pipe), and a
//! case whose `codes` include 0 (a quiet end) is not required to print an error.

use super::World;
use std::ffi::OsString;
use std::process::Stdio;

/// One admin mistake.
pub struct Mistake {
    /// The item of issue 12 it reproduces.
    pub item: u8,
    /// Prepares the world (rc.conf, extra jails, bridges) before the snapshot is taken.
    pub setup: fn(&World),
    /// vimage's arguments (after the program name).
    pub args: Vec<OsString>,
    /// Extra environment.
    pub env: Vec<(&'static str, &'static str)>,
    /// Run with stdout closed (a pipe whose reader is gone).
    pub close_stdout: bool,
    /// The exit codes that count as the right refusal.
    pub codes: &'static [i32],
    /// Text the error on stderr must contain.
    pub says: &'static str,
}

fn plain(_: &World) {}

/// rc.conf with one configured vimage (web3), one without a rootdir, one on `/` with devfs.
fn service(w: &World) {
    w.put_host_file(
        "/etc/rc.conf",
        "vimage_enable=\"YES\"\nvimage_list=\"web3 noroot slash\"\nvimage_web3_rootdir=\"/vm/web3\"\n\
         vimage_web3_epairs=\"em0\"\nvimage_noroot_epairs=\"em0\"\nvimage_slash_rootdir=\"/\"\n",
    );
}

/// An admin's bridge0 with em0 in it.
fn admins_bridge(w: &World) {
    w.edit(|k| {
        let mut s = vimage::sim::Sim::new(k.clone());
        let a: Vec<String> = ["bridge", "create", "addm", "em0", "up"].iter().map(|x| x.to_string()).collect();
        assert_eq!(s.exec("ifconfig", &a).code, 0);
        *k = s.kernel;
    });
}

fn case(item: u8, setup: fn(&World), args: &[&str], codes: &'static [i32], says: &'static str) -> Mistake {
    Mistake {
        item,
        setup,
        args: args.iter().map(OsString::from).collect(),
        env: Vec::new(),
        close_stdout: false,
        codes,
        says,
    }
}

/// Every case.
pub fn cases() -> Vec<Mistake> {
    let mut v = vec![
        // 1: the standalone service acts only on configured vimages.
        case(1, service, &["start", "typo"], &[64], "jail typo: is not a vimage"),
        case(1, service, &["stop", "typo"], &[64], "jail typo: is not a vimage"),
        case(1, service, &["start", "web1"], &[64], "jail web1: is not a vimage"),
        case(1, service, &["stop", "web1"], &[64], "jail web1: is not a vimage"),
        case(1, service, &["start", "web33"], &[64], "did you mean web3?"),
        case(1, service, &["start", "noroot"], &[65], "vimage_noroot_rootdir is not set"),
        case(1, service, &["start", "slash"], &[65], "covering the host's own /dev"),
        // 2: a bridge as uplink where it cannot work (netgraph needs an ng_ether node).
        case(2, admins_bridge, &["bridge", "jname=web1", "bridges=bridge0"], &[69], "no ng_ether netgraph node"),
        // 4: flag values other than 1/0, yes/no, true/false, on/off.
        case(4, plain, &["bridge", "jname=web1", "--dry-run=maybe"], &[64], "--dry-run=\"maybe\""),
        case(4, plain, &["bridge", "jname=web1", "dry_run=y"], &[64], "dry_run=\"y\""),
        case(4, plain, &["status", "json=2"], &[64], "json=\"2\""),
        case(4, plain, &["bridge", "jname=web1", "vnets=em0", "force=yes?"], &[64], "force=\"yes?\""),
        case(4, plain, &["unbridge", "jname=web1", "--json=jein"], &[64], "1/0, yes/no, true/false or on/off"),
        // 5: non-Ethernet uplinks, an empty name, more names than NICs, a stray word.
        case(5, plain, &["bridge", "jname=web1", "interface=lo0"], &[65], "lo0 is not an Ethernet interface"),
        case(5, plain, &["bridge", "jname=web1", "mode=netgraph", "interface=lo0"], &[65], "not an Ethernet"),
        case(5, plain, &["bridge", "jname="], &[64], "jname= is empty"),
        case(5, plain, &["bridge", "jname=web1", "interface=em0", "ifname=eth0,eth1"], &[64], "ifname= lists 2"),
        case(5, plain, &["unbridge", "web1", "extra"], &[64], "unexpected argument \"extra\""),
    ];
    let mut env = case(4, plain, &["bridge", "jname=web1"], &[64], "H_CBSD_dry_run");
    env.env.push(("H_CBSD_dry_run", "maybe"));
    v.push(env);
    // 9: an argument that is not UTF-8 (a jail name in Latin-1 from a script), refused
    // naming the argument and the byte offset, with --json too.
    v.push(non_utf8(
        &[b"bridge", b"jname=web\xe91"],
        "argument 2 \"jname=web\\xe91\" is not valid UTF-8 at byte offset 9",
    ));
    v.push(non_utf8(&[b"status", b"--json", b"jname=\xc3"], "is not valid UTF-8"));
    // 9: stdout closed (`vimage … | head -0`): a refusal still says why on stderr; a read or
    // a dry run ends quietly (exit 0), and neither changes anything.
    v.push(closed(case(9, plain, &["bridge", "jname=web1", "interface=lo0"], &[65], "lo0 is not an Ethernet")));
    v.push(closed(case(9, plain, &["status", "--json"], &[0], "")));
    v.push(closed(case(9, plain, &["bridge", "jname=web1", "--dry-run"], &[0], "")));
    v
}

/// A case whose arguments are raw bytes (not necessarily UTF-8).
fn non_utf8(args: &[&[u8]], says: &'static str) -> Mistake {
    use std::os::unix::ffi::OsStringExt;
    let mut m = case(9, plain, &[], &[64], says);
    m.args = args.iter().map(|a| OsString::from_vec(a.to_vec())).collect();
    m
}

/// `m` run with its stdout already closed.
fn closed(mut m: Mistake) -> Mistake {
    m.close_stdout = true;
    m
}

/// Runs one case in a fresh demo world; `Err` says what went wrong.
pub fn run(m: &Mistake) -> Result<(), String> {
    let w = World::demo();
    (m.setup)(&w);
    let before = w.kernel().snapshot();
    let mut c = w.command(&m.args);
    c.envs(m.env.iter().copied()).stdout(if m.close_stdout { Stdio::piped() } else { Stdio::null() });
    let o = if m.close_stdout {
        let mut child = c.stderr(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
        drop(child.stdout.take());
        child.wait_with_output().map_err(|e| e.to_string())?
    } else {
        c.output().map_err(|e| e.to_string())?
    };
    let code = o.status.code().unwrap_or(-1);
    let err = String::from_utf8_lossy(&o.stderr);
    let what = format!("item {} {:?}: exit {code}: {}", m.item, m.args, err.trim());
    if !m.codes.contains(&code) {
        return Err(format!("{what} (want exit {:?})", m.codes));
    }
    if err.contains("panicked") {
        return Err(format!("{what} (panic)"));
    }
    let explained = err.starts_with("vimage: ") && err.contains(m.says);
    if !explained && !m.codes.contains(&0) {
        return Err(format!("{what} (want an error saying {:?})", m.says));
    }
    if w.kernel().snapshot() != before {
        return Err(format!("{what} (the simulated kernel changed)"));
    }
    Ok(())
}
