//! The fuzz target `cli_entry`'s checks (fuzz/harness/cli_entry.rs) inside `cargo test`: the
//! whole argv + environment entry point, in-process against the simulated host, on a seed
//! corpus of known-hard inputs and on generated command lines. `tools/fuzz` runs the same
//! checks coverage-guided.

#[path = "../fuzz/harness/cli_entry.rs"]
mod harness;

use proptest::prelude::*;

/// argv tokens and environment entries as the harness reads them.
fn input(argv: &[&[u8]], env: &[&[u8]]) -> Vec<u8> {
    let mut v = argv.join(&0u8);
    if !env.is_empty() {
        v.push(1);
        v.extend(env.join(&0u8));
    }
    v
}

/// argv tokens, environment entries, and the exit status they must give (`None`: not checked).
type Seed<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>, Option<i32>);

#[test]
fn seed_corpus() {
    let seeds: Vec<Seed> = vec![
        (vec![b"bridge", b"jname=\xff"], vec![], Some(64)),
        (vec![b"bridge", b"jname=web1", b"--json"], vec![], Some(0)),
        (vec![b"bridge", b"jname=web1", b"-q", b"--dry-run"], vec![], Some(0)),
        (vec![b"-q", b"status", b"--json"], vec![], Some(0)),
        (vec![b"status", b"--dot"], vec![], Some(0)),
        (vec![b"bridge", b"--json"], vec![b"H_CBSD_jname=web\x80"], Some(64)),
        (vec![b"bridge", b"--json"], vec![b"H_CBSD_jname=web1"], Some(0)),
        (vec![b"bridge", b"jname=web1"], vec![b"VIMAGE_LOCK_TIMEOUT=1e300"], Some(0)),
        (vec![b"unbridge", b"jname=nosuch", b"--json"], vec![], Some(0)),
        (vec![b"bridge", b"jname=nosuch", b"--json"], vec![], Some(69)),
        (vec![b"bogus", b"--json"], vec![], Some(64)),
        (vec![b"--json"], vec![], Some(64)),
        (vec![b"vimage-status", b"--json"], vec![], Some(0)),
        (vec![b"gc", b"--json"], vec![], Some(0)),
        (vec![b"doctor", b"--json"], vec![], Some(0)),
        (vec![b"set", b"jname=web1", b"enable=1", b"--json"], vec![], Some(69)),
        (vec![b"start", b"web1", b"--json"], vec![], None),
        (vec![b"--man"], vec![], Some(0)),
        (vec![b"bridge", b"rcconf=/etc/x"], vec![], None),
        (vec![b"construct", b"jname=a"], vec![], None),
        (vec![b"bridge"], vec![b"H_CBSD_rcconf=/etc/x"], None),
        (vec![b"", b"=", b"--", b"-"], vec![b"=", b"X"], Some(64)),
    ];
    for (argv, env, want) in seeds {
        let got = harness::one(&input(&argv, &env));
        if let Some(w) = want {
            assert_eq!(got, Some(w), "{argv:?} {env:?}");
        } else if argv.iter().chain(&env).any(|t| t.windows(6).any(|w| w == b"rcconf") || t.starts_with(b"construct")) {
            assert_eq!(got, None, "unsafe input skipped: {argv:?}");
        }
    }
}

/// Tokens an admin (or a confused script) might type.
fn token() -> impl Strategy<Value = Vec<u8>> {
    let words = [
        "bridge",
        "unbridge",
        "status",
        "gc",
        "set",
        "devfs",
        "start",
        "stop",
        "doctor",
        "jname=web1",
        "jname=",
        "jname=web2",
        "web1",
        "--json",
        "json=1",
        "json=maybe",
        "-q",
        "--quiet",
        "-v",
        "-vv",
        "--dry-run",
        "dry_run=1",
        "--dot",
        "interface=em0",
        "interface=lo0",
        "interface=bridge0",
        "mode=netgraph",
        "bridges=em0 em0",
        "vnets=em0",
        "force=1",
        "ip4_addr=REALDHCP",
        "ip4_addr=10.0.0.5/24",
        "ci_gw4=auto",
        "mac=02:00:00:00:00:01",
        "ifname=eth0,eth1",
        "devfs_ruleset=50",
        "ruleset=4",
        "fix=1",
        "--help",
        "--desc",
        "--args",
        "--version",
    ];
    prop_oneof![
        4 => proptest::sample::select(words.to_vec()).prop_map(|w| w.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>().prop_filter("no separators", |b| *b > 1), 0..12),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_command_lines_hold_every_invariant(
        argv in proptest::collection::vec(token(), 0..6),
        preset in proptest::option::of(token()),
    ) {
        let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let env: Vec<Vec<u8>> = preset.into_iter().map(|t| [b"H_CBSD_jname=".as_slice(), &t].concat()).collect();
        let env: Vec<&[u8]> = env.iter().map(Vec::as_slice).collect();
        harness::one(&input(&argv, &env));
    }
}
