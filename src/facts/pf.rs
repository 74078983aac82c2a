//! pf as vimage reads it: is it loaded and enabled, does the loaded main ruleset reference
//! vimage's anchors (`nat-anchor`, `rdr-anchor`, `anchor "vimage/*"`), what a network's
//! anchor holds, and `net.inet.ip.forwarding`. One check, used by `vimage doctor`, by
//! `vimage net create nat=…` and by the start of a NAT network, so all three refuse or pass
//! alike (reads only: `kldstat`, `pfctl -s …`, `sysctl -n`).

use crate::host::{Cmd, Host, Program, run_cmd};
use crate::naming::{PF_FILTER_LINE, PF_TRANSLATION_LINES};

/// What the pf checks look at.
#[derive(Debug, Clone, Default)]
pub struct PfFacts {
    /// `kldstat -q -m pf` succeeded (`/dev/pf` exists).
    pub loaded: bool,
    /// `pfctl -s info`'s first line says `Status: Enabled`.
    pub enabled: bool,
    /// The loaded main ruleset's translation rules (`pfctl -s nat`).
    pub nat: Vec<String>,
    /// The loaded main ruleset's filter rules (`pfctl -s rules`).
    pub rules: Vec<String>,
}

fn lines(out: &crate::host::Output) -> Vec<String> {
    if !out.ok() {
        return Vec::new();
    }
    out.stdout.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

/// Gathers [`PfFacts`]: reads only (`kldstat`, then `pfctl -s info|nat|rules` when pf is
/// loaded).
pub fn gather(host: &mut dyn Host) -> PfFacts {
    let loaded = run_cmd(host, &Cmd::new(Program::Kldstat, ["-q", "-m", "pf"])).ok();
    if !loaded {
        return PfFacts::default();
    }
    let info = run_cmd(host, &Cmd::new(Program::Pfctl, ["-s", "info"]));
    let enabled = info.ok() && info.stdout.lines().next().is_some_and(|l| l.starts_with("Status: Enabled"));
    let nat = lines(&run_cmd(host, &Cmd::new(Program::Pfctl, ["-s", "nat"])));
    let rules = lines(&run_cmd(host, &Cmd::new(Program::Pfctl, ["-s", "rules"])));
    PfFacts { loaded, enabled, nat, rules }
}

/// True when pfctl's listing has `line` (pfctl prints it back with ` all` and maybe more
/// after the anchor's name: `nat-anchor "vimage/*" all`).
fn listed(listing: &[String], line: &str) -> bool {
    listing.iter().any(|l| l == line || l.starts_with(&format!("{line} ")))
}

/// The anchor lines the loaded main ruleset lacks, in pf.conf order.
pub fn missing_refs(f: &PfFacts) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = PF_TRANSLATION_LINES.iter().copied().filter(|l| !listed(&f.nat, l)).collect();
    if !listed(&f.rules, PF_FILTER_LINE) {
        v.push(PF_FILTER_LINE);
    }
    v
}

/// Why pf cannot serve a NAT network now, as the lines an admin must see: `None` when pf is
/// loaded and the loaded main ruleset references all three anchors. The same test
/// `vimage doctor` reports ([`missing_refs`]), so `net create nat=…`, a NAT network's start
/// and doctor never disagree.
pub fn nat_refusal(f: &PfFacts) -> Option<(String, Vec<&'static str>)> {
    let all = || PF_TRANSLATION_LINES.iter().copied().chain([PF_FILTER_LINE]).collect::<Vec<_>>();
    if !f.loaded {
        return Some(("pf is not loaded (pfctl: /dev/pf: No such file or directory)".into(), all()));
    }
    let missing = missing_refs(f);
    (!missing.is_empty()).then(|| ("the loaded main ruleset does not reference vimage's anchors".into(), missing))
}

/// The error `net create nat=…` and a NAT network's start give when [`nat_refusal`] says no:
/// the exact lines to add to /etc/pf.conf and the command that adds them. Nothing was changed.
pub fn nat_refused(net: &str, nat: &str, why: &str, lines: &[&str]) -> crate::error::Error {
    let mut e = crate::error::Error::new(
        crate::error::Kind::Unavailable,
        format!("network {net}: nat={nat} needs pf with vimage's anchors, but {why}"),
    )
    .about(crate::error::Object::new(crate::error::ObjectKind::Network, net));
    e = e.detail("the main ruleset (/etc/pf.conf) needs these lines:");
    for l in lines {
        e = e.detail(format!("  {l}"));
    }
    e.detail("fix: kldload pf (if not loaded), then vimage doctor fix=1 pf=1 (adds them, checks with pfctl -nf, loads with pfctl -f); or nat=0 for a host-only network")
        .detail("nothing was changed")
}

/// What a NAT network's start and its last jail's stop need of pf and forwarding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NatFacts {
    /// The interface to NAT out of: `nat=IF`, or for `nat=auto` the interface of the host's
    /// default route (`None`: the host has none).
    pub nat_if: Option<String>,
    /// pf is loaded and the main ruleset references vimage's anchors: `None`; else why not
    /// and the missing lines ([`nat_refusal`]).
    pub refusal: Option<(String, Vec<&'static str>)>,
    /// What the network's anchor holds now, as loadable text ([`crate::op::pf::anchor_text`]).
    pub anchor: String,
    /// `sysctl -n net.inet.ip.forwarding`, trimmed (empty when unreadable).
    pub forwarding: String,
    /// vimage turned forwarding on (from this value) and has not put it back yet.
    pub forwarding_set_from: Option<String>,
    /// The other NAT networks of vimage's that have a bridge now (forwarding stays on while
    /// one of them does).
    pub other_nat_bridges: Vec<String>,
    /// The network's port forwards (`vimage expose`), every jail's.
    pub forwards: Vec<crate::state::Forward>,
    /// The jails with a NIC on the network now (records of this boot): only their forwards
    /// are loaded.
    pub running: Vec<String>,
    /// The network's leases: a forward goes to its jail's address there.
    pub leases: Vec<crate::state::Lease>,
}

/// `pfctl -a <anchor> -s rules` and `-s nat`, as loadable text (empty without pf).
pub fn anchor(host: &mut dyn Host, anchor: &str) -> String {
    let rules = run_cmd(host, &Cmd::new(Program::Pfctl, ["-a", anchor, "-s", "rules"]));
    let nat = run_cmd(host, &Cmd::new(Program::Pfctl, ["-a", anchor, "-s", "nat"]));
    let ok = |o: &crate::host::Output| if o.ok() { o.stdout.clone() } else { String::new() };
    crate::op::pf::anchor_text(&ok(&rules), &ok(&nat))
}

/// `sysctl -n net.inet.ip.forwarding`, trimmed; empty when it cannot be read.
pub fn forwarding(host: &mut dyn Host) -> String {
    let o = run_cmd(host, &Cmd::new(Program::Sysctl, ["-n", crate::naming::IP_FORWARDING]));
    if o.ok() { o.stdout.trim().to_string() } else { String::new() }
}
