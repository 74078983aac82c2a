//! `vimage set jname=X key=value …`: a jail's settings that CBSD has no column for, its MACs
//! in CBSD's inventory, and switching the CBSD integration on or off. Every value is checked
//! before anything is written. Without keys it shows the settings.

use super::args::Args;
use super::{Ctx, Out, jail_arg, json_doc, list};
use crate::cbsd::{self, DbOptions, Workdir, integration};
use crate::error::{Error, Kind, Result};
use crate::mac;
use crate::model::{JailName, Mac};
use crate::ops::Session;
use crate::settings::{self, JailSettings};
use serde_json::json;

fn need_cbsd<'a>(wd: &'a Option<Workdir>, jail: &JailName, what: &str) -> Result<&'a Workdir> {
    wd.as_ref().filter(|w| w.local_db().exists()).ok_or_else(|| {
        Error::jail(
            Kind::Unavailable,
            jail,
            format!("{what} needs CBSD: run it as `cbsd vimage-set` (workdir is not set)"),
        )
    })
}

/// Runs `vimage set`.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, stdout: &Out) -> Result<i32> {
    let k: super::typed::SetKeys = a.keys()?;
    let jail = jail_arg(k.jname.as_deref())?;
    let wd = Workdir::from_paths(&ctx.paths);
    // Check everything first.
    let mut updates = Vec::new();
    for (name, v) in k.settings() {
        if let Some(v) = v {
            updates.push((name, settings::validate(&jail, name, v)?));
        }
    }
    let macs = list(k.nic_hwaddr.as_deref())
        .iter()
        .map(|m| Mac::parse_assignable(m).map_err(|e| Error::jail(Kind::Data, &jail, format!("nic_hwaddr: {}", e.0))))
        .collect::<Result<Vec<_>>>()?;
    let enable = match k.enable.as_deref() {
        None => None,
        Some("1" | "yes" | "on" | "true") => Some(true),
        Some("0" | "no" | "off" | "false") => Some(false),
        Some(v) => return Err(Error::jail(Kind::Data, &jail, format!("enable={v:?}: use 1 or 0"))),
    };
    let cbsd_jail = if !macs.is_empty() || enable.is_some() {
        let wd = need_cbsd(&wd, &jail, if enable.is_some() { "enable=" } else { "nic_hwaddr=" })?;
        Some(cbsd::load_cbsd_jail(wd, &jail, &DbOptions::default())?)
    } else {
        None
    };
    if let Some(c) = &cbsd_jail
        && macs.len() > c.nics.rows.len()
    {
        return Err(Error::jail(
            Kind::Data,
            &jail,
            format!("nic_hwaddr lists {} MACs but the jail has {} jailnic rows", macs.len(), c.nics.rows.len()),
        ));
    }
    // Without keys it only shows: a read-only verb, which creates and writes nothing.
    let dry = k.dry_run || (updates.is_empty() && cbsd_jail.is_none());
    let s = Session::open(ctx.host, &ctx.paths, &format!("set {jail}"), dry, ctx.lock_timeout)?;
    let explicit: Vec<(u32, Mac)> = macs.iter().enumerate().map(|(i, m)| (i as u32, *m)).collect();
    // Give every NIC without a MAC vimage's now, so CBSD applies it from the first start
    // (otherwise its jstart would pick a random one in the NetApp OUI, 00:a0:98).
    let need: Vec<u32> = match (&cbsd_jail, enable) {
        (Some(c), Some(true)) => (0..c.nics.rows.len() as u32)
            .filter(|&i| c.nics.rows[i as usize].nic_hwaddr.is_none() && !explicit.iter().any(|(n, _)| *n == i))
            .collect(),
        _ => Vec::new(),
    };
    // Gathered once: the jail, and every MAC the kernel's interfaces and the records hold;
    // then every MAC is decided (checked or chosen) by mac::decide, as the planner does,
    // before anything is written.
    let mut fill: Vec<(u32, Mac)> = Vec::new();
    let view = if cbsd_jail.is_some() {
        let nics: Vec<(u32, Option<Mac>)> =
            explicit.iter().map(|(i, m)| (*i, Some(*m))).chain(need.iter().map(|i| (*i, None))).collect();
        let view = crate::facts::gather::for_set(s.host, &s.db, &s.kernel, &jail, &nics)?;
        for (i, fixed) in nics {
            let given: std::collections::HashSet<Mac> = fill.iter().map(|(_, m)| *m).collect();
            match mac::decide(&s.kernel.hostuuid, &jail, i, fixed, &view.taken_macs, &|_| false, &given) {
                Ok(m) if fixed.is_none() => fill.push((i, m)),
                Ok(_) => {}
                Err(mac::Refused::Held { mac: m, by }) => {
                    return Err(Error::jail(Kind::Data, &jail, format!("nic_hwaddr: MAC {m} is already used by {by}"))
                        .detail("choose another MAC, or let vimage generate one"));
                }
                Err(mac::Refused::Exhausted) => {
                    return Err(Error::jail(Kind::Internal, &jail, "no free MAC candidate"));
                }
            }
        }
        Some(view)
    } else {
        None
    };
    let mut notes: Vec<String> = Vec::new();
    if !dry {
        for (k, v) in &updates {
            s.db.set_setting(jail.as_str(), k, (!v.is_empty()).then_some(v.as_str()))?;
            notes.push(if v.is_empty() { format!("{k} cleared") } else { format!("{k}={v}") });
        }
    }
    if let (Some(c), Some(wd), Some(view)) = (&cbsd_jail, &wd, &view) {
        if !dry {
            // Running as CBSD's jset sees it: its jstatus asks the kernel (subr/rcconf.subr).
            let running = view.jail.as_ref().is_some_and(|j| !j.dying);
            let opts = DbOptions::default();
            // Overwrite rows the admin named explicitly.
            let mut c2 = c.clone();
            for (i, _) in &explicit {
                if let Some(r) = c2.nics.rows.get_mut(*i as usize) {
                    r.nic_hwaddr = None;
                }
            }
            notes.extend(crate::cbsd::writeback::write_back_macs(s.host, wd, &c2, &explicit, running)?);
            for (i, m) in &explicit {
                s.db.remember_mac(jail.as_str(), *i, m)?;
            }
            remember_cbsd_nics(&s.db, c, &explicit)?;
            let stored = s.db.settings(jail.as_str())?;
            match enable {
                Some(true) => {
                    let ch = integration::enable(s.host, wd, c, &fill, running, &opts)?;
                    for (i, m) in &fill {
                        s.db.remember_mac(jail.as_str(), *i, m)?;
                    }
                    remember_cbsd_nics(&s.db, c, &fill)?;
                    if let Some(p) = &ch.poststart {
                        s.db.set_setting(jail.as_str(), integration::SAVED_POSTSTART, Some(&p.encode()))?;
                    }
                    if !ch.macs.is_empty() {
                        let mut all = integration::Saved::decode(
                            None,
                            stored.get(integration::SAVED_MACS).map(String::as_str),
                            &jail,
                        )
                        .macs;
                        all.extend(ch.macs.iter().cloned());
                        let enc = serde_json::to_string(&all).unwrap_or_default();
                        s.db.set_setting(jail.as_str(), integration::SAVED_MACS, Some(&enc))?;
                    }
                    s.db.set_setting(jail.as_str(), "cbsd", Some("1"))?;
                    notes.extend(ch.notes);
                }
                Some(false) => {
                    let saved = integration::Saved::decode(
                        stored.get(integration::SAVED_POSTSTART).map(String::as_str),
                        stored.get(integration::SAVED_MACS).map(String::as_str),
                        &jail,
                    );
                    notes.extend(integration::disable(wd, &jail, &saved, &opts)?);
                    for k in ["cbsd", integration::SAVED_POSTSTART, integration::SAVED_MACS] {
                        s.db.set_setting(jail.as_str(), k, None)?;
                    }
                }
                None => {}
            }
        } else {
            notes.extend(explicit.iter().chain(&fill).map(|(i, m)| format!("would set NIC {i}'s nic_hwaddr={m}")));
            if let Some(e) = enable {
                notes.push(format!("would {} the CBSD integration", if e { "install" } else { "remove" }));
            }
        }
    }
    let current = JailSettings { map: s.db.settings(jail.as_str())? };
    let nics = known_nics(&s.db, &jail)?;
    if k.json {
        stdout
            .print(&json_doc(json!({"jail": jail.as_str(), "changes": notes, "settings": current.map, "nics": nics})));
        return Ok(0);
    }
    let mut out = String::new();
    for n in &notes {
        out.push_str(&format!("jail {jail}: {n}\n"));
    }
    if current.map.is_empty() {
        out.push_str(&format!("jail {jail}: no vimage settings (NICs come from CBSD or the command line)\n"));
    }
    for (k, v) in &current.map {
        out.push_str(&format!("{k}={v}\n"));
    }
    for n in &nics {
        out.push_str(&format!(
            "nic {}: {} MAC {} uplink {} ({})\n",
            n.nic,
            n.name.as_deref().unwrap_or("-"),
            n.mac,
            n.uplink.as_deref().unwrap_or("-"),
            if n.attached { "attached; `vimage status` checks it" } else { "stored: given at the next start" }
        ));
    }
    stdout.print(&out);
    Ok(0)
}

/// A NIC whose MAC vimage keeps, as `set` shows it.
#[derive(Debug, serde::Serialize)]
struct KnownNic {
    nic: u32,
    name: Option<String>,
    mac: String,
    uplink: Option<String>,
    attached: bool,
}

/// The jail's NICs with a stored MAC, attached or not, so the MAC a NIC will get is known
/// before and between starts.
fn known_nics(db: &crate::state::StateDb, jail: &JailName) -> Result<Vec<KnownNic>> {
    let attached = db.attachments(jail.as_str())?;
    Ok(db
        .stored_nics(Some(jail.as_str()))?
        .into_iter()
        .map(|n| {
            let att = attached.iter().find(|a| a.nic == n.nic);
            KnownNic {
                nic: n.nic,
                name: att.map(|a| a.nic_name.clone()).or(n.nic_name),
                mac: n.mac,
                uplink: att.and_then(|a| a.uplink.clone()).or(n.uplink),
                attached: att.is_some(),
            }
        })
        .collect())
}

/// Remembers, with the MACs just stored, each NIC's name and uplink from CBSD's rows, so the
/// jail's NICs can be shown before its first start.
fn remember_cbsd_nics(db: &crate::state::StateDb, c: &cbsd::CbsdJail, macs: &[(u32, Mac)]) -> Result<()> {
    let Ok(net) = cbsd::to_jailnet::to_jailnet(&c.row, &c.nics) else { return Ok(()) };
    for nic in net.nics.iter().filter(|n| macs.iter().any(|(i, _)| *i == n.index)) {
        let uplink = nic.uplink().map(|u| u.to_string()).unwrap_or_default();
        db.remember_nic(net.jail.as_str(), nic.index, nic.name.as_str(), nic.mode.kind(), &uplink)?;
    }
    Ok(())
}
