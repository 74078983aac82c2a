//! `vimage doctor`: can this kernel do what vimage needs? Each check says how to fix itself.

use super::args::Args;
use super::{Ctx, Out, json_doc};
use crate::error::{Kind, Result};
use crate::facts::{KernelFacts, gather};
use crate::host::Host;
use crate::model::ModeKind;
use crate::op::Op;
use crate::ops::Session;
use crate::plan::render;

pub use super::doctor_check::Check;

/// Kernel modules per mode, and whether the kernel loads them on first use by itself
/// (ifconfig's ifmaybeload for cloners, ngctl mkpeer for node types); ng_ether never does,
/// because its nodes are created when interfaces attach (ng_ether(4) BUGS).
const MODULES: &[(&str, ModeKind, bool)] = &[
    ("if_epair", ModeKind::Epair, true),
    ("if_bridge", ModeKind::Epair, true),
    ("netgraph", ModeKind::Netgraph, true),
    ("ng_socket", ModeKind::Netgraph, true),
    ("ng_ether", ModeKind::Netgraph, false),
    ("ng_bridge", ModeKind::Netgraph, true),
    ("ng_eiface", ModeKind::Netgraph, true),
];

fn check(
    name: &str,
    status: &str,
    detail: String,
    fix: Option<String>,
    persist: Option<String>,
    needed_by: &str,
) -> Check {
    Check {
        name: name.into(),
        status: status.into(),
        detail,
        fix,
        persist,
        needed_by: needed_by.into(),
        lines: Vec::new(),
    }
}

/// What doctor looks at, gathered once: the kernel facts, each module of [`MODULES`] (loaded
/// or not), and IP forwarding.
pub struct DoctorFacts {
    /// `sysctl -i` of the kernel-wide facts (VIMAGE, release).
    pub kernel: KernelFacts,
    /// Each module of [`MODULES`], in order, with whether it is loaded.
    pub modules: Vec<(String, bool)>,
    /// `net.inet.ip.forwarding=1`.
    pub ip_forwarding: bool,
    /// `kldstat -q -m if_vlan`: vlan(4) is loaded or compiled in (GENERIC's `device vlan`).
    pub if_vlan: bool,
    /// `kldstat -q -m if_lagg`: lagg(4) is there, for a lagg uplink (`interface=lagg0`).
    pub if_lagg: bool,
}

/// Gathers [`DoctorFacts`]: reads only.
pub fn gather_facts(host: &mut dyn Host) -> Result<DoctorFacts> {
    let kernel = gather::kernel(host)?;
    let names: Vec<&str> = MODULES.iter().map(|(m, _, _)| *m).collect();
    let modules = gather::modules_loaded(host, &names);
    let if_vlan = gather::modules_loaded(host, &["if_vlan"]).first().is_some_and(|(_, l)| *l);
    let if_lagg = gather::modules_loaded(host, &["if_lagg"]).first().is_some_and(|(_, l)| *l);
    Ok(DoctorFacts { kernel, modules, ip_forwarding: gather::ip_forwarding(host), if_vlan, if_lagg })
}

/// Judges the facts: every check, as the admin reads it. `loaded` are the modules a fix has
/// loaded since the facts were gathered (reported as loaded). Pure.
pub fn checks(f: &DoctorFacts, loaded: &[String]) -> Vec<Check> {
    let k = &f.kernel;
    let mut out = Vec::new();
    out.push(if k.vimage {
        check(
            "VIMAGE",
            "ok",
            "kern.features.vimage=1: jails can have their own network stack".into(),
            None,
            None,
            "all",
        )
    } else {
        check(
            "VIMAGE",
            "missing",
            "sysctl kern.features.vimage is absent: this kernel was built without options VIMAGE".into(),
            Some("build and boot a kernel with `options VIMAGE` (GENERIC has it since FreeBSD 12.0)".into()),
            None,
            "all",
        )
    });
    for ((m, mode, autoload), (_, loaded_then)) in MODULES.iter().zip(&f.modules) {
        let loaded = *loaded_then || loaded.iter().any(|l| l == m);
        out.push(if loaded {
            check(m, "ok", "loaded (or compiled into the kernel)".into(), None, None, mode.as_str())
        } else if *autoload {
            check(
                m,
                "warn",
                "not loaded; FreeBSD loads it on first use, so this only matters where loading modules is forbidden (securelevel > 0)".into(),
                Some(format!("kldload {m}")),
                Some(format!("sysrc kld_list+={m}")),
                mode.as_str(),
            )
        } else {
            check(
                m,
                "missing",
                "not loaded, and FreeBSD never loads it on demand: netgraph mode needs it (vimage bridge loads it \
                 with kldload -n when a netgraph NIC needs it; load it at boot to have it there for every tool)"
                    .into(),
                Some(format!("kldload {m}")),
                Some(format!("sysrc kld_list+={m}")),
                mode.as_str(),
            )
        });
    }
    out.extend(vlan_checks(f, loaded));
    // lagg(4) is not needed by any mode, only by a lagg uplink: never `missing`, and not
    // among [`MODULES`], so `doctor --fix` does not load it for nothing. `ifconfig lagg
    // create` loads it on first use (ifconfig.c ifmaybeload).
    let lagg = f.if_lagg || loaded.iter().any(|l| l == "if_lagg");
    out.push(if lagg {
        check("if_lagg", "ok", "loaded: lagg(4) interfaces can be uplinks (interface=lagg0)".into(), None, None, "lagg")
    } else {
        check(
            "if_lagg",
            "info",
            "not loaded; loadable (ifconfig lagg create loads it): needed only for a lagg(4) uplink, whose lagg \
             (interface=lagg0), never a port of it, is what vimage bridges"
                .into(),
            Some("kldload if_lagg".into()),
            Some("sysrc kld_list+=if_lagg".into()),
            "lagg",
        )
    });
    let on = f.ip_forwarding;
    out.push(check(
        "ip forwarding",
        "info",
        if on {
            "net.inet.ip.forwarding=1".into()
        } else {
            "net.inet.ip.forwarding=0: fine for bridged jails; routed setups and NAT private networks need it \
             (vimage bridge turns it on while a NAT network (vimage net, nat=auto|IF) is in use, and back off with \
             its last one)"
                .into()
        },
        (!on).then(|| "sysctl net.inet.ip.forwarding=1".into()),
        (!on).then(|| "sysrc gateway_enable=YES".into()),
        "routed",
    ));
    out.push(check(
        "ifconfig -j",
        if k.has_ifconfig_j() { "ok" } else { "info" },
        if k.has_ifconfig_j() {
            format!("kern.osreldate {}: interfaces are renamed inside jails with ifconfig -j", k.osreldate)
        } else {
            format!("kern.osreldate {}: before 14.0; interfaces are renamed with jexec <jail> ifconfig (needs ifconfig in the jail)", k.osreldate)
        },
        None,
        None,
        "all",
    ));
    out
}

/// What the VLAN keys need: vlan(4) for VLAN uplinks (`vlan=`, `interface=em0.100`, and
/// `vlan_untagged=` before FreeBSD 15), and FreeBSD 15's bridge VLAN filtering for
/// `vlan_untagged=`/`vlan_tagged=` on the bridge.
fn vlan_checks(f: &DoctorFacts, loaded: &[String]) -> Vec<Check> {
    let vlan = if f.if_vlan || loaded.iter().any(|l| l == "if_vlan") {
        check("if_vlan", "ok", "loaded (or compiled into the kernel, as in GENERIC)".into(), None, None, "vlan")
    } else {
        check(
            "if_vlan",
            "warn",
            "not loaded and not compiled in; vimage bridge loads it (kldload -n if_vlan) before it creates a VLAN              uplink, which fails where loading modules is forbidden (securelevel > 0)"
                .into(),
            Some("kldload if_vlan".into()),
            Some("sysrc kld_list+=if_vlan".into()),
            "vlan",
        )
    };
    let osrel = f.kernel.osreldate;
    let filter = if osrel >= crate::plan::vlan::VLANFILTER_OSRELDATE {
        check(
            "bridge vlanfilter",
            "ok",
            format!(
                "kern.osreldate {osrel}: if_bridge filters VLANs (vlanfilter, ifuntagged, iftagged): vlan_untagged= and                  vlan_tagged= work on bridges vimage creates"
            ),
            None,
            None,
            "vlan",
        )
    } else {
        check(
            "bridge vlanfilter",
            "info",
            format!(
                "kern.osreldate {osrel}: before FreeBSD 15.0, if_bridge cannot filter VLANs: vlan_untagged=N becomes a                  vlan(4) uplink UPLINK.N and vlan_tagged= is refused"
            ),
            Some("upgrade to FreeBSD 15.0 or later (freebsd-update upgrade -r 15.0-RELEASE)".into()),
            None,
            "vlan",
        )
    };
    vec![vlan, filter]
}

/// With CBSD: does `nc.inventory` agree with the kernel? CBSD's jstart turns `vnet=1` off
/// when the inventory says `vimage_feature=0` (sudoexec/jstart), so a stale inventory silently
/// starts vimage jails without their own network stack.
fn inventory_check(paths: &crate::paths::Paths, kernel_vimage: bool) -> Option<Check> {
    let wd = crate::cbsd::Workdir::from_paths(paths)?;
    let path = wd.inventory();
    let inv = match crate::cbsd::Inventory::read(&path) {
        Ok(i) => i,
        Err(e) => return Some(check("nc.inventory", "warn", e.message, Some("cbsd initenv".into()), None, "cbsd")),
    };
    Some(match inv.vimage_feature() {
        Ok(v) if v == kernel_vimage => check(
            "nc.inventory",
            "ok",
            format!("vimage_feature={} agrees with the kernel", v as u8),
            None,
            None,
            "cbsd",
        ),
        Ok(v) => check(
            "nc.inventory",
            "missing",
            format!(
                "{} says vimage_feature={}, the kernel says {}: CBSD would start vnet jails without vnet",
                path.display(),
                v as u8,
                kernel_vimage as u8
            ),
            Some("cbsd initenv".into()),
            None,
            "cbsd",
        ),
        Err(e) => check(
            "nc.inventory",
            "warn",
            format!("{}: {}", path.display(), e.message),
            Some("cbsd initenv".into()),
            None,
            "cbsd",
        ),
    })
}

/// Runs `vimage doctor`: gather once, judge; with `fix=1` the plan of what is missing
/// ([`crate::plan::doctor::fix_plan`]) is printed (`--dry-run`) or applied with the journal
/// like any change, then the checks are reported.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: super::typed::DoctorKeys = a.keys()?;
    let dry = k.dry_run;
    let facts = gather_facts(ctx.host)?;
    let inventory = inventory_check(&ctx.paths, facts.kernel.vimage);
    // A `fix=1 pf=1` killed mid-run left /etc/pf.conf edited: put it back first.
    let pf_recovered = super::doctor_pf::recover(&ctx.paths, dry)?;
    let mut pf_facts = crate::facts::pf::gather(ctx.host);
    let plan = if k.fix { crate::plan::doctor::fix_plan(&facts.modules) } else { None };
    let mut fixed = Vec::new();
    let mut would = Vec::new();
    let mut loaded = Vec::new();
    if let Some(p) = &plan {
        if dry {
            would = render::commands(p).iter().map(|c| c.to_string()).collect();
        } else {
            let s = Session::open(ctx.host, &ctx.paths, "doctor", false, ctx.lock_timeout)?;
            fixed = crate::exec::apply(s.host, p, &s.db, s.kernel.boottime)?.commands;
            loaded = p
                .steps
                .iter()
                .filter_map(|s| match &s.op {
                    Op::KldLoad { module } => Some(module.clone()),
                    _ => None,
                })
                .collect();
        }
    }
    // pf (private networks): its own block, after the modules' fix.
    let pf_fixed = if k.fix && k.pf {
        let done = super::doctor_pf::fix(ctx, &pf_facts, dry)?;
        if !dry && !done.commands.is_empty() {
            pf_facts = crate::facts::pf::gather(ctx.host);
        }
        done
    } else {
        super::doctor_pf::PfFixed::default()
    };
    fixed.extend(pf_fixed.commands.iter().filter(|_| !dry).cloned());
    would.extend(pf_fixed.commands.iter().filter(|_| dry).cloned());
    let mut checks = checks(&facts, &loaded);
    checks.extend(inventory);
    checks.extend(super::doctor_pf::checks(&pf_facts));
    let fatal = checks.iter().any(|c| c.status == "missing" && (c.needed_by == "all" || c.needed_by == "cbsd"));
    let code = if fatal { Kind::Unavailable.exit_code() } else { 0 };
    // The verdict is an error: on stderr, so -q and --json do not hide it.
    let verdict = || {
        let missing: Vec<&str> = checks
            .iter()
            .filter(|c| c.status == "missing" && (c.needed_by == "all" || c.needed_by == "cbsd"))
            .map(|c| c.name.as_str())
            .collect();
        out.err_line(format!(
            "vimage: doctor: vimage cannot work on this host until these are fixed: {}",
            missing.join(", ")
        ));
    };
    if k.json {
        out.print(&json_doc(
            serde_json::json!({"checks": checks, "loaded": fixed, "wrote": pf_fixed.wrote, "usable": !fatal}),
        ));
        if fatal {
            verdict();
        }
        return Ok(code);
    }
    let mut s = String::new();
    if let Some(r) = &pf_recovered {
        s.push_str(&format!("{r}\n"));
    }
    for f in &fixed {
        s.push_str(&format!("ran: {f}\n"));
    }
    for c in &would {
        s.push_str(&format!("would run: {c}\n"));
    }
    for w in &pf_fixed.wrote {
        s.push_str(&format!("{w}\n"));
    }
    for c in &checks {
        s.push_str(&format!("{:<8} {:<14} ({}) {}\n", c.status.to_uppercase(), c.name, c.needed_by, c.detail));
        if let Some(f) = &c.fix {
            s.push_str(&format!("         fix: {f}\n"));
        }
        for l in &c.lines {
            s.push_str(&format!("         add: {l}\n"));
        }
        if let Some(p) = &c.persist {
            s.push_str(&format!("         at boot: {p}\n"));
        }
    }
    out.print(&s);
    if fatal {
        verdict();
    }
    Ok(code)
}

#[cfg(test)]
mod vlan_tests {
    use super::*;

    fn facts(osreldate: u32, if_vlan: bool) -> DoctorFacts {
        let kernel = KernelFacts { vimage: true, osreldate, ..KernelFacts::default() };
        DoctorFacts { kernel, modules: Vec::new(), ip_forwarding: false, if_vlan, if_lagg: false }
    }

    fn find<'a>(c: &'a [Check], name: &str) -> &'a Check {
        c.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no check {name}"))
    }

    #[test]
    fn if_vlan_and_bridge_vlanfilter_are_reported_with_their_fixes() {
        let c = checks(&facts(1_403_000, true), &[]);
        assert_eq!((find(&c, "if_vlan").status.as_str(), find(&c, "if_vlan").fix.as_deref()), ("ok", None));
        let f = find(&c, "bridge vlanfilter");
        assert_eq!(f.status, "info");
        assert!(f.detail.contains("1403000") && f.detail.contains("vlan_tagged= is refused"), "{}", f.detail);
        assert!(f.fix.as_deref().is_some_and(|x| x.contains("15.0")));
        let c = checks(&facts(1_500_000, false), &[]);
        let v = find(&c, "if_vlan");
        assert_eq!(
            (v.status.as_str(), v.fix.as_deref(), v.persist.as_deref()),
            ("warn", Some("kldload if_vlan"), Some("sysrc kld_list+=if_vlan"))
        );
        assert_eq!(find(&c, "bridge vlanfilter").status, "ok");
        assert_eq!(find(&checks(&facts(1_500_000, false), &["if_vlan".into()]), "if_vlan").status, "ok");
        let j = serde_json::to_value(find(&c, "bridge vlanfilter")).unwrap();
        assert_eq!(j["needed_by"], "vlan");
    }
}
