//! vimage's devfs ruleset: `devfsrules_jail_vnet` plus `bpf*`, so `dhclient` works in a vnet
//! jail (FreeBSD's stock jail rulesets 4 and 5 hide bpf: CBSD issues #192, #725).
//!
//! The ruleset lives in the host's `/etc/devfs.rules` as vimage's own section, so rc.d/devfs
//! loads it at every boot; vimage also loads it into the running kernel at once. Its number is
//! configurable (CBSD's maintainer wants rulesets chosen by number, #719); the default is used
//! only while free.

pub mod rules;

/// The section name vimage owns in `/etc/devfs.rules` (`[vimage_vnet_bpf=N]`). It is also a
/// valid sh variable name, as rc.subr's `devfs_rulesets_from_file` needs (`eval $name=$num`).
pub const SECTION: &str = "vimage_vnet_bpf";

/// The number vimage uses when it is free. Peers use 10 (jailer), 11 (jib/jng docs),
/// 13 (Bastille), 25 (ngbuddy), 99 (CBSD's "trusted" profile) and 1000 and up (iocage and
/// AppJail's per-jail sets); 50 is none of them.
pub const DEFAULT_RULESET: u16 = 50;

/// The highest number vimage picks by itself: 1000 and up belong to iocage's and AppJail's
/// dynamic per-jail rulesets.
pub const MAX_AUTO_RULESET: u16 = 999;

/// The comment line that marks the section as vimage's.
pub const MARKER: &str = "# managed by vimage(8): devfsrules_jail_vnet plus bpf, for DHCP in vnet jails; `vimage devfs` rewrites this section";

/// The stock rulesets vimage's set includes, in order. All five, not just
/// `devfsrules_jail_vnet`: the kernel follows `include` only `vfs.devfs.rule_depth` levels deep,
/// 1 by default (sys/fs/devfs/devfs_devs.c), so a set that merely included ruleset 5 would run
/// 5's own `include 1/2/3/4` at depth 0, where they are skipped (devfs_rule.c
/// `devfs_rule_run`: `if (depth > 0)`), and would hide nothing at all. The stock ruleset 5
/// lists 1, 2 and 3 itself for the same reason. Including 4 brings its `fuse`/`zfs` unhides,
/// including 5 its `pf` unhide: the result is exactly ruleset 5 plus bpf.
pub const BASE_NAMES: [&str; 5] = [
    "devfsrules_hide_all",
    "devfsrules_unhide_basic",
    "devfsrules_unhide_login",
    "devfsrules_jail",
    "devfsrules_jail_vnet",
];

/// The rule lines of vimage's section, as written to `/etc/devfs.rules` (`$name` is expanded
/// by rc.subr when it loads the file).
pub fn section_rules() -> Vec<String> {
    let mut v: Vec<String> = BASE_NAMES.iter().map(|n| format!("add include ${n}")).collect();
    v.push("add path 'bpf*' unhide".to_string());
    v
}

/// The same rules as `devfs rule -s N add …` argument words, with each include resolved to a
/// number: on the command line `include` takes a number only (sbin/devfs/rule.c
/// `rulespec_intok`: `eatonum(av[1])`), and nothing expands `$name` there.
pub fn rule_words(bases: &[u16]) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = bases.iter().map(|b| vec!["include".to_string(), b.to_string()]).collect();
    v.push(vec!["path".to_string(), "bpf*".to_string(), "unhide".to_string()]);
    v
}

/// What `devfs rule -s N show` prints for vimage's set when it is loaded as written
/// (rule.c `rulespec_outfp`; rules numbered 100, 200, … by `devfs_rule_autonumber`).
pub fn expected_show(bases: &[u16]) -> Vec<String> {
    let mut v: Vec<String> = bases.iter().enumerate().map(|(i, b)| format!("{} include {b}", (i + 1) * 100)).collect();
    v.push(format!("{} path bpf* unhide", (bases.len() + 1) * 100));
    v
}

/// FreeBSD's stock rulesets (sbin/devfs/devfs.rules, installed as /etc/defaults/devfs.rules),
/// used when that file cannot be read under `VIMAGE_ROOT`.
pub const STOCK: &[(&str, u16)] = &[
    ("devfsrules_hide_all", 1),
    ("devfsrules_unhide_basic", 2),
    ("devfsrules_unhide_login", 3),
    ("devfsrules_jail", 4),
    ("devfsrules_jail_vnet", 5),
];
