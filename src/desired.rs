//! Where a jail's desired network comes from, in order: the command line (`interface=`,
//! `ifname=`, `mac=`), CBSD's inventory of the jail (its `jailnic` rows, when vimage runs
//! under a CBSD `workdir` and CBSD knows the jail), vimage's own settings (`vimage set`), or
//! the default: one NIC, `eth0`, on the interface of the default route.

use crate::cbsd::{self, CbsdJail, DbOptions, NicShape, Workdir};
use crate::error::{Error, Kind, Result};
use crate::exec::run_cmd;
use crate::host::{Cmd, Host, Program};
use crate::model::{IfName, JailName, JailNet, Mac, Uplink};
use crate::settings::JailSettings;

/// Which source won, so the admin can be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    CommandLine,
    Cbsd,
    Settings,
    Default,
}

/// The resolved network and, for a CBSD jail, what CBSD said about it.
#[derive(Debug)]
pub struct Desired {
    pub net: JailNet,
    pub source: Source,
    pub cbsd: Option<CbsdJail>,
}

/// Resolves the desired network of `jail` (see the module doc for the order).
pub fn resolve(jail: &JailName, cli: Option<JailNet>, set: &JailSettings, wd: Option<&Workdir>) -> Result<Desired> {
    if set.map.get("mode").is_some_and(|m| m == "netgraph")
        || !set.list("bridges").is_empty()
        || !set.list("vnets").is_empty()
    {
        return Err(Error::jail(
            Kind::Unavailable,
            jail,
            "is set to netgraph or passthrough NICs (vimage set mode=/bridges=/vnets=), which this build does not support",
        ));
    }
    if let Some(net) = cli {
        return Ok(Desired { net, source: Source::CommandLine, cbsd: None });
    }
    if let Some(wd) = wd.filter(|w| w.local_db().exists()) {
        match cbsd::load_cbsd_jail(wd, jail, &DbOptions::default()) {
            Ok(c) if !c.net.nics.is_empty() => {
                let mut net = c.net.clone();
                override_from_settings(&mut net, set)?;
                return Ok(Desired { net, source: Source::Cbsd, cbsd: Some(c) });
            }
            Ok(_) => {}
            Err(e) if e.kind == Kind::Unavailable && e.message.contains("not registered in CBSD") => {}
            Err(e) => return Err(e),
        }
    }
    let uplinks = set.list("interface");
    if !uplinks.is_empty() || !set.list("ifname").is_empty() {
        let ups: Vec<Uplink> = if uplinks.is_empty() { vec![Uplink::Auto] } else { parse_uplinks(jail, &uplinks)? };
        let mut net = JailNet::epairs(jail.clone(), &ups);
        override_from_settings(&mut net, set)?;
        return Ok(Desired { net, source: Source::Settings, cbsd: None });
    }
    Ok(Desired { net: JailNet::epairs(jail.clone(), &[Uplink::Auto]), source: Source::Default, cbsd: None })
}

fn parse_uplinks(jail: &JailName, v: &[String]) -> Result<Vec<Uplink>> {
    v.iter().map(|u| Uplink::parse(u).map_err(|e| Error::jail(Kind::Data, jail, e.0))).collect()
}

/// Stored `interface`/`ifname` settings override uplinks and names NIC by NIC.
fn override_from_settings(net: &mut JailNet, set: &JailSettings) -> Result<()> {
    let ups = parse_uplinks(&net.jail, &set.list("interface"))?;
    let names = set.list("ifname");
    for (i, nic) in net.nics.iter_mut().enumerate() {
        if let Some(u) = ups.get(i) {
            nic.uplink = u.clone();
        }
        if let Some(n) = names.get(i) {
            nic.name = IfName::parse(n).map_err(|e| Error::jail(Kind::Data, &net.jail, e.0))?;
        }
    }
    Ok(())
}

/// Writes MACs vimage chose back into CBSD's `jailnic` rows that had none, so CBSD (and a
/// later start) use the same ones: through `cbsd jset jname=X nic_hwaddr=…` for the 14.x
/// default row (CBSD's own command; jailctl/jset writes the row named `epairb`), directly
/// with a bound UPDATE otherwise (CBSD 14.x has no command for other rows; 15.x's
/// `cbsd jailnic` syntax is not verified here).
pub fn write_back_macs(host: &mut dyn Host, wd: &Workdir, c: &CbsdJail, macs: &[(u32, Mac)]) -> Result<Vec<String>> {
    let jail = &c.net.jail;
    let mut notes = Vec::new();
    for (idx, mac) in macs {
        let Some(row) = c.nics.rows.get(*idx as usize) else { continue };
        if row.nic_hwaddr.is_some() {
            continue;
        }
        if c.nics.shape == NicShape::V14 && row.name == "epairb" {
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
        } else {
            cbsd::set_nic_hwaddr(wd, jail, row.id, *mac, &DbOptions::default())?;
        }
        notes.push(format!("jailnic row {} (id {}): nic_hwaddr={mac}", row.name, row.id));
    }
    Ok(notes)
}
