//! Where a jail's desired network comes from, in order: the command line (`interface=`,
//! `ifname=`, `mac=`), CBSD's inventory of the jail (its `jailnic` rows, when vimage runs
//! under a CBSD `workdir` and CBSD knows the jail), vimage's own settings (`vimage set`), or
//! the default: one NIC, `eth0`, on the interface of the default route.

use crate::addr::{Target, parse_ci_gw4, parse_ip4_addr};
use crate::cbsd::{self, CbsdJail, DbOptions, NicShape, Workdir};
use crate::error::{Error, Kind, Result};
use crate::host::run_cmd;
use crate::host::{Cmd, Host, Program};
use crate::model::{Addressing, IfName, JailName, JailNet, Mac, NicMode, Uplink};
use crate::settings::JailSettings;

/// Which source won, so the admin can be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `interface=`/`ifname=`/`mac=` given on this invocation: they win over everything stored.
    CommandLine,
    /// CBSD's `jailnic` rows for the jail (with `vimage set` overrides).
    Cbsd,
    /// vimage's own per-jail settings (`vimage set`), for jails CBSD does not describe.
    Settings,
    /// Nothing configured: one `eth0` on the default route's interface.
    Default,
}

/// The resolved network and, for a CBSD jail, what CBSD said about it.
#[derive(Debug)]
pub struct Desired {
    /// The network to plan for.
    pub net: JailNet,
    /// Where `net` came from, so messages can say why a jail gets this network.
    pub source: Source,
    /// CBSD's view of the jail, when CBSD was the source: the MACs vimage generates are written
    /// back to its `jailnic` rows.
    pub cbsd: Option<CbsdJail>,
}

/// Resolves the desired network of `jail` (see the module doc for the order). The jail's
/// userland, when `vimage set userland=` stored one, goes with it whatever the NICs' source.
pub fn resolve(jail: &JailName, cli: Option<JailNet>, set: &JailSettings, wd: Option<&Workdir>) -> Result<Desired> {
    let mut d = resolve_nics(jail, cli, set, wd)?;
    d.net.userland = d.net.userland.or(set.userland());
    Ok(d)
}

fn resolve_nics(jail: &JailName, cli: Option<JailNet>, set: &JailSettings, wd: Option<&Workdir>) -> Result<Desired> {
    if let Some(net) = cli {
        return Ok(Desired { net, source: Source::CommandLine, cbsd: None });
    }
    if let Some(wd) = wd.filter(|w| w.local_db().exists()) {
        match cbsd::load_cbsd_jail(wd, jail, &DbOptions::default()) {
            Ok(c) if !c.net.nics.is_empty() => {
                let mut net = c.net.clone();
                override_from_settings(&mut net, set)?;
                apply_modes(&mut net, set)?;
                apply_cbsd_addressing(&mut net, &c)?;
                return Ok(Desired { net, source: Source::Cbsd, cbsd: Some(c) });
            }
            Ok(_) => {}
            Err(e) if e.kind == Kind::Unavailable && e.message.contains("not registered in CBSD") => {}
            Err(e) => return Err(e),
        }
    }
    let uplinks = set.list("interface");
    let extra = !set.list("bridges").is_empty() || !set.list("vnets").is_empty();
    if !uplinks.is_empty() || !set.list("ifname").is_empty() || set.map.contains_key("mode") || extra {
        let ups: Vec<Uplink> = match (uplinks.is_empty(), extra) {
            (false, _) => parse_uplinks(jail, &uplinks)?,
            // Only bridges=/vnets= set: those are the jail's NICs.
            (true, true) if set.list("ifname").is_empty() => Vec::new(),
            (true, _) => vec![Uplink::Auto],
        };
        let mut net = JailNet::epairs(jail.clone(), &ups);
        override_from_settings(&mut net, set)?;
        apply_modes(&mut net, set)?;
        return Ok(Desired { net, source: Source::Settings, cbsd: None });
    }
    Ok(Desired { net: JailNet::epairs(jail.clone(), &[Uplink::Auto]), source: Source::Default, cbsd: None })
}

/// A CBSD jail's `ip4_addr`, `ci_gw4` and `devfs_ruleset` columns, and its rc.conf under its
/// data directory. CBSD's stock rulesets (4, 5) and `0` mean "not chosen": vimage then puts
/// its own bpf ruleset in place when a NIC uses DHCP.
fn apply_cbsd_addressing(net: &mut JailNet, c: &CbsdJail) -> Result<()> {
    let ruleset = c.row.devfs_ruleset.filter(|n| !matches!(n, 0 | 4 | 5)).map(|n| n.to_string());
    let rcconf = c.row.data.as_deref().map(|d| std::path::Path::new(d).join("etc/rc.conf"));
    apply_addressing(
        net,
        c.row.ip4_addr.as_deref().unwrap_or("0"),
        c.row.ci_gw4.as_deref().unwrap_or("0"),
        ruleset.as_deref(),
        rcconf,
    )
    .map_err(|e| e.detail("(from CBSD's jails table: ip4_addr, ci_gw4, devfs_ruleset)"))
}

/// Attaches CBSD-style `ip4_addr` (per NIC, `nic#ip` or in order), `ci_gw4`, an explicit
/// devfs ruleset and the rc.conf to edit to `net`. Shared by the command line and CBSD.
pub fn apply_addressing(
    net: &mut JailNet,
    ip4_addr: &str,
    ci_gw4: &str,
    devfs_ruleset: Option<&str>,
    rcconf: Option<std::path::PathBuf>,
) -> Result<()> {
    let jail = net.jail.clone();
    let data = |m: String| Error::jail(Kind::Data, &jail, m);
    let nics = &mut net.nics;
    let ip = parse_ip4_addr(ip4_addr).map_err(data)?;
    for (target, addrs) in ip.nics {
        let i = match &target {
            Target::First => 0,
            Target::Named(n) => nics
                .iter()
                .position(|x| x.name.as_str() == n)
                .or_else(|| {
                    let by_uplink: Vec<usize> = nics
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| matches!(x.uplink(), Some(Uplink::Named(u)) if u.as_str() == n))
                        .map(|(i, _)| i)
                        .collect();
                    (by_uplink.len() == 1).then(|| by_uplink[0])
                })
                .ok_or_else(|| {
                    data(format!(
                        "ip4_addr names NIC {n}, but the jail's NICs are {} (uplinks {})",
                        nics.iter().map(|x| x.name.to_string()).collect::<Vec<_>>().join(", "),
                        nics.iter().filter_map(|x| x.uplink()).map(|u| u.to_string()).collect::<Vec<_>>().join(", ")
                    ))
                })?,
        };
        let name = nics[i].name.clone();
        nics[i].addrs.merge(addrs).map_err(|e| data(format!("NIC {name}: {e}")))?;
    }
    let gateway = parse_ci_gw4(ci_gw4).map_err(data)?;
    let devfs_ruleset = match devfs_ruleset.filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => {
            Some(v.parse::<u16>().map_err(|_| data(format!("devfs_ruleset={v}: not a ruleset number (1-65535)")))?)
        }
    };
    if rcconf.as_ref().is_some_and(|p| !p.is_absolute()) {
        return Err(Error::jail(Kind::Usage, &jail, "rcconf= must be an absolute path"));
    }
    net.addressing = Addressing { gateway, devfs_ruleset, rcconf };
    Ok(())
}

fn parse_uplinks(jail: &JailName, v: &[String]) -> Result<Vec<Uplink>> {
    v.iter().map(|u| Uplink::parse(u).map_err(|e| Error::jail(Kind::Data, jail, e.0))).collect()
}

/// Stored `mode=netgraph` turns the epair NICs into netgraph ones (keeping uplinks and fixed
/// MACs); `bridges` adds netgraph NICs and `vnets` passed-through interfaces, numbered after
/// them, in the order the command line uses.
fn apply_modes(net: &mut JailNet, set: &JailSettings) -> Result<()> {
    let mut ng: Vec<(Uplink, Option<Mac>)> = Vec::new();
    if set.map.get("mode").is_some_and(|m| m == "netgraph") {
        for nic in std::mem::take(&mut net.nics) {
            match nic.mode {
                NicMode::Epair { uplink } => ng.push((uplink, nic.mac)),
                _ => net.nics.push(nic),
            }
        }
    }
    ng.extend(parse_uplinks(&net.jail, &set.list("bridges"))?.into_iter().map(|u| (u, None)));
    let first = net.nics.len();
    net.add_netgraph(&ng.iter().map(|(u, _)| u.clone()).collect::<Vec<_>>());
    for (nic, (_, mac)) in net.nics[first..].iter_mut().zip(ng) {
        nic.mac = mac;
    }
    let vnets = set.list("vnets");
    let ifaces = vnets
        .iter()
        .map(|v| IfName::parse(v).map_err(|e| Error::jail(Kind::Data, &net.jail, e.0)))
        .collect::<Result<Vec<_>>>()?;
    net.add_passthrough(&ifaces);
    Ok(())
}

/// Stored `interface`/`ifname` settings override uplinks and names NIC by NIC.
fn override_from_settings(net: &mut JailNet, set: &JailSettings) -> Result<()> {
    let ups = parse_uplinks(&net.jail, &set.list("interface"))?;
    let names = set.list("ifname");
    for (i, nic) in net.nics.iter_mut().enumerate() {
        if let (Some(u), NicMode::Epair { uplink } | NicMode::Netgraph { uplink }) = (ups.get(i), &mut nic.mode) {
            *uplink = u.clone();
        }
        if let Some(n) = names.get(i) {
            nic.name = IfName::parse(n).map_err(|e| Error::jail(Kind::Data, &net.jail, e.0))?;
            nic.name_given = true;
        }
    }
    Ok(())
}

/// Writes MACs vimage chose back into CBSD's `jailnic` rows that had none, so CBSD (and a
/// later start) use the same ones. CBSD's own `cbsd jset jname=X nic_hwaddr=…` writes only
/// the 14.x default row (named `epairb`), and only while the jail is stopped: for a running
/// jail, and that is what jset sees from inside jstart's `exec.poststart` too (its jstatus
/// asks the kernel), it prints "nic_hwaddr: on-the-fly currently unimplemented" and changes
/// nothing (jailctl/jset main loop). So `cbsd jset` is used for that row of a stopped jail;
/// every other row, and every row of a running jail, gets a bound UPDATE of the row the NIC
/// came from (14.x and 15.x shapes alike), read back.
pub fn write_back_macs(
    host: &mut dyn Host,
    wd: &Workdir,
    c: &CbsdJail,
    macs: &[(u32, Mac)],
    running: bool,
) -> Result<Vec<String>> {
    let jail = &c.net.jail;
    let mut notes = Vec::new();
    for (idx, mac) in macs {
        let Some(row) = c.nics.rows.get(*idx as usize) else { continue };
        if row.nic_hwaddr.is_some() {
            continue;
        }
        let opts = DbOptions::default();
        let via_jset = !running && c.nics.shape == NicShape::V14 && row.name == "epairb";
        if via_jset {
            let cmd =
                Cmd::new(Program::Cbsd, ["jset".to_string(), format!("jname={jail}"), format!("nic_hwaddr={mac}")]);
            let out = run_cmd(host, &cmd);
            if !out.ok() {
                return Err(Error::jail(
                    Kind::Os,
                    jail,
                    format!("`{cmd}` failed (exit {}): {}", out.code, out.stderr.trim()),
                ));
            }
        }
        // jset exits 0 whether or not it wrote: what counts is what the row holds now.
        let took = via_jset && cbsd::jailnic::read_nic_hwaddr(wd, jail, row.id, &opts)? == Some(mac.to_string());
        if !took {
            cbsd::set_nic_hwaddr(wd, jail, row.id, *mac, &opts)?;
        }
        let how = if took { "cbsd jset" } else { "bound UPDATE" };
        notes.push(format!("jailnic row {} (id {}): nic_hwaddr={mac} ({how})", row.name, row.id));
    }
    Ok(notes)
}
