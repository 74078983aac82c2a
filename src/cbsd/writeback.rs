//! The MACs vimage chose, written back into CBSD's `jailnic` rows, so CBSD and every later
//! start use the same ones. Lives with CBSD's data (below the resolver and the verbs) because
//! both `vimage bridge`/`vimage set` and the CBSD hooks write MACs back.

use super::{CbsdJail, DbOptions, NicShape, Workdir};
use crate::error::{Error, Kind, Result};
use crate::host::{Host, run_cmd};
use crate::model::Mac;

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
        let took = via_jset && super::jailnic::read_nic_hwaddr(wd, jail, row.id, &opts)? == Some(mac.to_string());
        if !took {
            super::set_nic_hwaddr(wd, jail, row.id, *mac, &opts)?;
        }
        let how = if took { "cbsd jset" } else { "bound UPDATE" };
        notes.push(format!("jailnic row {} (id {}): nic_hwaddr={mac} ({how})", row.name, row.id));
    }
    Ok(notes)
}
