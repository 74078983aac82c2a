//! No argv makes a simulated command panic, and every failure is reported with a non-zero
//! status (property tests over words the commands know and random junk).

use super::run;
use crate::kernel::{Ctx, Kernel};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "-a",
    "-l",
    "-g",
    "-G",
    "-j",
    "-n",
    "-d",
    "-u",
    "-q",
    "-i",
    "-c",
    "-r",
    "-m",
    "-v",
    "-h",
    "-s",
    "--",
    "-",
    "create",
    "destroy",
    "up",
    "down",
    "name",
    "mtu",
    "vnet",
    "-vnet",
    "addm",
    "deletem",
    "ether",
    "inet",
    "inet6",
    "alias",
    "-alias",
    "netmask",
    "group",
    "-group",
    "description",
    "-description",
    "epair",
    "bridge",
    "epair0a",
    "epair0b",
    "bridge0",
    "em0",
    "lo0",
    "web1",
    "1",
    "0",
    "99",
    "vimage",
    "9000",
    "10.0.0.1/24",
    "02:00:00:00:00:01",
    "random",
    "name=web2",
    "path=/j",
    "vnet=new",
    "persist",
    "vnet.interface=epair0b",
    "jid",
    "dying",
    "kern.osreldate",
    "net.inet.ip.forwarding=1",
    "if_bridge",
    "get",
    "default",
    "ifconfig",
    "sysctl",
    "jls",
    "prefixlen",
    "64",
    "metric",
    "-tso",
    "ifdisabled",
    "*",
    "mkpeer",
    "em0:",
    "em0:lower",
    "bridge",
    "eiface",
    "lower",
    "upper",
    "link0",
    "link2",
    "uplink1",
    "ether",
    "shutdown",
    "rmhook",
    "connect",
    "msg",
    "show",
    "setpromisc",
    "getstats",
    ".",
    "[1]:",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(str::to_string),
        1 => "\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn no_argv_panics_any_command(
        prog in proptest::sample::select(&["ifconfig", "jls", "jail", "jexec", "sysctl", "kldstat", "kldload", "route", "ngctl"][..]),
        args in proptest::collection::vec(word(), 0..8),
    ) {
        let mut k = Kernel::demo();
        let o = run(&mut k, Ctx::HOST, prog, &args);
        if !o.stderr.is_empty() && o.code == 0 {
            // Only warnings (nd6 flags, the inet mask deprecation) may accompany success.
            prop_assert!(o.stderr.contains("WARNING") || o.stderr.contains("SIOCSIFINFO_IN6"), "{}", o.stderr);
        }
        // ngctl also runs the words as a batch from stdin.
        if prog == "ngctl" {
            let script = args.join(" ") + "\n" + &args.iter().rev().cloned().collect::<Vec<_>>().join(" ");
            let _ = super::run_input(&mut k, Ctx::HOST, "ngctl", &["-f".to_string(), "-".to_string()], Some(&script));
        }
        // The state still serializes and the snapshot is consistent.
        let _ = k.snapshot();
        prop_assert!(serde_json::to_string(&k).is_ok());
    }
}
