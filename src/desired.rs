//! Gathers the stored sources of a jail's network for `vimage bridge` — `vimage set`'s
//! settings, CBSD's inventory of the jail (its `jailnic` rows, when vimage runs under a CBSD
//! `workdir` and CBSD knows the jail), the rc.conf userland — and hands them to the resolver
//! ([`crate::resolve`]), which alone decides the precedence. Also writes the MACs vimage
//! chose back to CBSD's rows.

use crate::cbsd::{self, CbsdJail, DbOptions, NicShape, Workdir};
use crate::error::{Error, Kind, Result};
use crate::host::Host;
use crate::host::run_cmd;
use crate::model::{JailName, JailNet, Mac};
use crate::paths::Paths;
use crate::resolve::{self, Partial, Stored};
use crate::settings::JailSettings;

pub use crate::resolve::Source;

/// The resolved network and, for a CBSD jail, what CBSD said about it.
#[derive(Debug)]
pub struct Desired {
    /// The network to plan for.
    pub net: JailNet,
    /// Where `net`'s NICs came from, so messages can say why a jail gets this network.
    pub source: Source,
    /// CBSD's view of the jail, when CBSD was the source: the MACs vimage generates are written
    /// back to its `jailnic` rows.
    pub cbsd: Option<CbsdJail>,
}

/// The stored sources as files and databases on this host, read when the resolver asks.
struct OnHost<'a> {
    wd: Option<&'a Workdir>,
    paths: &'a Paths,
    cbsd: Option<CbsdJail>,
}

impl Stored for OnHost<'_> {
    fn cbsd(&mut self, jail: &JailName) -> Result<Option<Partial>> {
        let Some(wd) = self.wd.filter(|w| w.local_db().exists()) else { return Ok(None) };
        Ok(cbsd::to_jailnet::lookup(wd, jail, &DbOptions::default())?.map(|(c, p)| {
            self.cbsd = Some(c);
            p
        }))
    }

    fn rcconf(&mut self, jail: &JailName) -> Result<Partial> {
        Ok(Partial { userland: crate::rcd::userland_of(self.paths, jail)?, ..Partial::default() })
    }
}

/// Resolves the desired network of `jail` from the command line's `cli`, the stored
/// settings `set`, CBSD under `wd` and the rc.conf files under `paths`.
pub fn resolve(
    jail: &JailName,
    cli: &Partial,
    set: &JailSettings,
    wd: Option<&Workdir>,
    paths: &Paths,
) -> Result<Desired> {
    let mut on_host = OnHost { wd, paths, cbsd: None };
    let (net, source) = resolve::resolve(jail, cli, set, &mut on_host)?;
    let cbsd = on_host.cbsd.filter(|_| source == Source::Cbsd);
    Ok(Desired { net, source, cbsd })
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
            let cmd = crate::op::cbsd::jset(jail, "nic_hwaddr", &mac.to_string());
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
