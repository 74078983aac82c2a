//! `vimage status`: what vimage set up, per jail, checked against the kernel; and orphans.

use super::args::Args;
use super::{Ctx, JSON_SCHEMA, Out, to_json};
use crate::error::Result;
use crate::facts::{JailInfo, gather};
use crate::model::ModeKind;
use crate::ops::Session;
use crate::parse::ifconfig::IfStatus;
use crate::plan::inventory::{self, NicState, Orphan, Seen};
use crate::state::{Attachment, BridgeKind, BridgeRec, StoredNic};
use serde::Serialize;
use std::collections::BTreeMap;

/// One NIC's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct NicStatus {
    /// The NIC's index in the jail.
    pub nic: u32,
    /// Name inside the jail (`None`: a stored NIC never attached since vimage began keeping names).
    pub name: Option<String>,
    /// `epair`, `netgraph` or `passthrough`: says which host objects to look for.
    pub mode: ModeKind,
    /// The host-side object: epair host end, eiface node name, or the passed-through interface
    /// (`None` for a stored NIC: nothing exists on the host).
    pub host_if: Option<String>,
    /// The MAC vimage gave it (`None` for passthrough, which keeps its own).
    pub mac: Option<String>,
    /// The if_bridge or ng_bridge it hangs on.
    pub bridge: Option<String>,
    /// The host interface it reaches the network through.
    pub uplink: Option<String>,
    /// `up` (in the kernel, in the running jail it was given to), `stale` (it exists but the
    /// jail restarted or stopped without unbridge), `gone` (recorded, no longer in the kernel),
    /// `stored` (not attached: vimage keeps its MAC for the next start).
    pub state: String,
    /// netgraph: the bridge link and the eiface node's ID (`[1a]`).
    pub link: Option<u32>,
    /// The eiface node's ID as `ngctl` addresses it.
    pub node_id: Option<String>,
    /// netgraph: the name before it was shortened to 15 bytes (the mapping).
    pub name_wanted: Option<String>,
}

/// One jail's part of the report.
#[derive(Debug, Clone, Serialize)]
pub struct JailStatus {
    /// The jail's name.
    pub jail: String,
    /// Its JID now; `None` when it is not running.
    pub jid: Option<u32>,
    /// jls lists it and it is not dying: its NICs can be live.
    pub running: bool,
    /// It has its own vnet; without one vimage cannot give it NICs.
    pub vnet: bool,
    /// `freebsd` or `linux` (what vimage treats it as: the admin's setting, else its
    /// /bin/sh); `None` when it is not running (no root to look at).
    pub userland: Option<String>,
    /// The NICs vimage recorded for it.
    pub nics: Vec<NicStatus>,
}

/// A bridge vimage uses.
#[derive(Debug, Clone, Serialize)]
pub struct BridgeStatus {
    /// The bridge's interface or node name.
    pub name: String,
    /// `if_bridge` or `netgraph`.
    pub kind: BridgeKind,
    /// The host interface it bridges jails onto.
    pub uplink: String,
    /// vimage created it, so it goes with its last jail.
    pub owned: bool,
    /// if_bridge: its members; ng_bridge: the recorded NICs' nodes.
    pub members: Vec<String>,
    /// The kernel still has it (false: a stale record `gc` will forget).
    pub exists: bool,
}

/// The whole report (`--json` prints exactly this; docs/json.md).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The shape's version, [`JSON_SCHEMA`].
    pub schema: u32,
    /// Every jail vimage has records of.
    pub jails: Vec<JailStatus>,
    /// Every bridge vimage has records of.
    pub bridges: Vec<BridgeStatus>,
    /// vimage-marked objects no running jail accounts for (what `gc` would remove).
    pub orphans: Vec<Orphan>,
    /// Private networks (`vimage net`): definition, bridge, pool and each NIC's pool address
    /// (its lease, also before the jail's first start), as `vimage net list --json` has them.
    pub networks: Vec<serde_json::Value>,
    /// What the report could not check or record: records rebuilt from the kernel's markers
    /// (and not saved), a state database that cannot be written, unrepaired interrupted runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// vimage's records, as status reads them.
pub struct Records<'a> {
    /// Every attachment.
    pub atts: &'a [Attachment],
    /// Every bridge record.
    pub bridges: &'a [BridgeRec],
    /// Every MAC vimage keeps, shown (state `stored`) where its NIC is not attached.
    pub stored: &'a [StoredNic],
}

/// Builds the report from kernel facts and records, as [`inventory::judge`] judges them (the
/// same judgement `gc` removes by). Pure, so it is tested without a host. `ng_alive` holds the
/// eiface node IDs that answered (with their interface's name now).
pub fn build(
    boottime: i64,
    jails: &[JailInfo],
    scan: &[IfStatus],
    rec: &Records<'_>,
    ng_alive: &BTreeMap<u32, String>,
    only: Option<&str>,
) -> Report {
    let (atts, bridges, stored) = (rec.atts, rec.bridges, rec.stored);
    let seen = Seen { boottime, jails, scan, atts, bridges, ng_alive };
    let inv = inventory::judge(&seen);
    let running: BTreeMap<&str, &JailInfo> = jails.iter().filter(|j| !j.dying).map(|j| (j.name.as_str(), j)).collect();
    let by_name: BTreeMap<&str, &IfStatus> = scan.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut out = Report {
        schema: JSON_SCHEMA,
        jails: Vec::new(),
        bridges: Vec::new(),
        orphans: Vec::new(),
        networks: Vec::new(),
        notes: Vec::new(),
    };
    let mut per_jail: BTreeMap<&str, Vec<(&Attachment, NicState)>> = BTreeMap::new();
    for (a, v) in atts.iter().zip(&inv.nics) {
        per_jail.entry(a.jail.as_str()).or_default().push((a, v.state));
    }
    let mut stored_of: BTreeMap<&str, Vec<&StoredNic>> = BTreeMap::new();
    // A stored NIC is shown for the jail asked about, and for any jail that is running or has
    // NICs attached; a jail that exists nowhere any more is history, not status.
    for n in stored {
        let list = per_jail.get(n.jail.as_str());
        let attached = list.is_some_and(|l| l.iter().any(|(a, _)| a.nic == n.nic));
        let shown = only == Some(n.jail.as_str()) || list.is_some() || running.contains_key(n.jail.as_str());
        if shown && !attached {
            per_jail.entry(n.jail.as_str()).or_default();
            stored_of.entry(n.jail.as_str()).or_default().push(n);
        }
    }
    for (jail, list) in &per_jail {
        if only.is_some_and(|o| o != *jail) {
            continue;
        }
        let info = running.get(jail);
        let mut nics: Vec<NicStatus> = list
            .iter()
            .map(|(a, state)| NicStatus {
                nic: a.nic,
                name: Some(a.in_jail().to_string()),
                mode: a.mode,
                host_if: Some(a.host_if.clone()),
                mac: a.mac.clone(),
                bridge: a.bridge.clone(),
                uplink: a.uplink.clone(),
                state: state.as_str().into(),
                link: a.ng_link,
                node_id: a.ng_node.map(|id| format!("[{id:x}]")),
                name_wanted: a.wanted_name.clone(),
            })
            .collect();
        nics.extend(stored_of.get(jail).into_iter().flatten().map(|n| NicStatus {
            nic: n.nic,
            name: n.nic_name.clone(),
            mode: n.mode.unwrap_or(ModeKind::Epair),
            host_if: None,
            mac: Some(n.mac.clone()),
            bridge: None,
            uplink: n.uplink.clone(),
            state: "stored".into(),
            link: None,
            node_id: None,
            name_wanted: None,
        }));
        nics.sort_by_key(|n| n.nic);
        out.jails.push(JailStatus {
            jail: jail.to_string(),
            jid: info.map(|i| i.jid),
            running: info.is_some(),
            vnet: info.is_some_and(|i| i.vnet),
            userland: None,
            nics,
        });
    }
    let mut unused = Vec::new();
    for (b, v) in bridges.iter().zip(&inv.bridges) {
        if only.is_some()
            && !out.jails.iter().any(|j| j.nics.iter().any(|n| n.bridge.as_deref() == Some(b.name.as_str())))
        {
            continue;
        }
        let members = if b.is_netgraph() {
            if v.unused && only.is_none() {
                unused.push(Orphan::unused_ng_bridge(b));
            }
            v.users.iter().map(|&i| format!("{}@link{}", atts[i].host_if, atts[i].ng_link.unwrap_or(0))).collect()
        } else {
            by_name.get(b.name.as_str()).map(|s| s.members.clone()).unwrap_or_default()
        };
        out.bridges.push(BridgeStatus {
            name: b.name.clone(),
            kind: b.kind,
            uplink: b.uplink.clone(),
            owned: b.is_netgraph() || b.owned,
            members,
            exists: v.exists,
        });
    }
    // The scan's orphans first, then the netgraph bridges noted above (reported, left alone).
    out.orphans = inv.orphans.into_iter().filter(|o| only.is_none() || o.jail.as_deref() == only).collect();
    out.orphans.append(&mut unused);
    out
}

/// Runs `vimage status`.
pub fn run(a: &Args, ctx: &mut Ctx<'_>, out: &Out) -> Result<i32> {
    let k: super::typed::StatusKeys = a.keys()?;
    let only = k.jname.as_deref();
    if let Some(j) = only {
        super::jail_arg(only).map(|_| ()).map_err(|e| e.in_jail(j))?;
    }
    // The session every verb runs; status changes nothing, so it is a dry one (no lock, the
    // records read-only), then one gathering judged once (the judgement `gc` removes by).
    let s = Session::open(ctx.host, &ctx.paths, "status", true, ctx.lock_timeout)?;
    let f = gather::inventory(s.host, &s.db, &s.kernel, only)?;
    let stored = s.db.stored_nics(only)?;
    let rec = Records { atts: &f.atts, bridges: &f.bridges, stored: &stored };
    let mut report = build(s.kernel.boottime, &f.jails, &f.scan, &rec, &f.ng_alive, only);
    let (jails, db) = (f.jails, &s.db);
    report.notes = s.notes.iter().map(|n| n.text.clone()).collect();
    for d in crate::facts::privnet::definitions(&s.db, &ctx.paths)? {
        let a = super::net::anchor_now(s.host, &d);
        let mut v = super::net::describe(&d, &s.db, a.as_deref())?;
        if let (Some(j), Some(l)) = (only, v["leases"].as_array_mut()) {
            l.retain(|x| x["jail"] == j);
        }
        report.networks.push(v);
    }
    let mut how = Vec::new();
    for j in &mut report.jails {
        let (Some(info), Ok(name)) =
            (jails.iter().find(|i| i.name == j.jail && !i.dying), crate::model::JailName::parse(&j.jail))
        else {
            continue;
        };
        let stored = crate::settings::JailSettings { map: db.settings(&j.jail)? }.userland();
        let f = crate::facts::userland::of_jail(&ctx.paths, stored, &name, &info.path);
        j.userland = Some(f.userland.as_str().to_string());
        how.push(format!("  {}: {} ({})", j.jail, f.userland, f.how));
    }
    let text = if k.json {
        to_json(&report)
    } else if k.dot {
        dot(&report)
    } else {
        let mut t = text(&report, only);
        if !how.is_empty() {
            t.push_str(&format!("\nuserland:\n{}\n", how.join("\n")));
        }
        t
    };
    out.print(&text);
    Ok(0)
}

fn text(r: &Report, only: Option<&str>) -> String {
    let mut s = String::new();
    for n in &r.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    if r.jails.is_empty() {
        match only {
            Some(j) => s.push_str(&format!("jail {j}: vimage has nothing set up for it\n")),
            None => s.push_str("vimage has nothing set up for any jail\n"),
        }
    } else {
        let mut rows = vec![
            ["JAIL", "JID", "NIC", "MODE", "HOST END", "MAC", "BRIDGE", "UPLINK", "STATE"].map(String::from).to_vec(),
        ];
        for j in &r.jails {
            for n in &j.nics {
                rows.push(vec![
                    j.jail.clone(),
                    j.jid.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                    n.name.clone().unwrap_or_else(|| "-".into()),
                    n.mode.to_string(),
                    n.host_if.clone().unwrap_or_else(|| "-".into()),
                    n.mac.clone().unwrap_or_else(|| "-".into()),
                    n.bridge.clone().unwrap_or_else(|| "-".into()),
                    n.uplink.clone().unwrap_or_else(|| "-".into()),
                    n.state.clone(),
                ]);
            }
        }
        s.push_str(&table(&rows));
        if r.jails.iter().any(|j| j.nics.iter().any(|n| n.state == "stored")) {
            s.push_str("(stored: not attached now; vimage gives the NIC this MAC at the jail's next start)\n");
        }
        let shortened: Vec<(&str, &NicStatus)> = r
            .jails
            .iter()
            .flat_map(|j| j.nics.iter().map(move |n| (j.jail.as_str(), n)))
            .filter(|(_, n)| n.name_wanted.is_some())
            .collect();
        if !shortened.is_empty() {
            s.push_str("\nshortened netgraph names (IFNAMSIZ is 15 bytes):\n");
            for (j, n) in shortened {
                s.push_str(&format!(
                    "  jail {j}: {} = {}\n",
                    n.name.as_deref().unwrap_or_default(),
                    n.name_wanted.as_deref().unwrap_or_default()
                ));
            }
        }
    }
    if !r.bridges.is_empty() {
        s.push_str("\nbridges:\n");
        for b in &r.bridges {
            let who = match (b.kind, b.owned) {
                (BridgeKind::Netgraph, _) => "ng_bridge created by vimage",
                (_, true) => "created by vimage",
                _ => "not vimage's (left alone)",
            };
            let missing = if b.exists { "" } else { " MISSING" };
            s.push_str(&format!(
                "  {} uplink {} {who}{missing}; members: {}\n",
                b.name,
                b.uplink,
                if b.members.is_empty() { "-".into() } else { b.members.join(" ") }
            ));
        }
    }
    if !r.networks.is_empty() {
        s.push_str("\nnetworks:\n");
        for n in &r.networks {
            s.push_str(&format!("  {}\n", super::net::line(n)));
            for l in n["leases"].as_array().into_iter().flatten() {
                let (j, a) = (l["jail"].as_str().unwrap_or(""), l["address"].as_str().unwrap_or(""));
                s.push_str(&format!("    jail {j} NIC {}: pool address {a}\n", l["nic"]));
            }
            for f in super::net::forward_lines(n) {
                s.push_str(&format!("    {f}\n"));
            }
        }
    }
    if r.orphans.is_empty() {
        s.push_str("\norphans: none\n");
    } else {
        s.push_str("\norphans (`vimage gc` removes those not marked as left alone):\n");
        for o in &r.orphans {
            let alone = if o.removable { "" } else { " (left alone)" };
            s.push_str(&format!("  {} [{}]: {}{alone}\n", o.object, o.marker, o.reason));
        }
    }
    s
}

fn table(rows: &[Vec<String>]) -> String {
    let n = rows[0].len();
    let w: Vec<usize> = (0..n).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut s = String::new();
    for r in rows {
        let line: Vec<String> = r.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = w[i])).collect();
        s.push_str(line.join("  ").trim_end());
        s.push('\n');
    }
    s
}

/// A DOT quoted string: `"` and `\` escaped, so every name is taken as it is.
fn q(s: &str) -> String {
    format!("\"{}\"", esc(s))
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A DOT label of several lines: each escaped, then joined with DOT's own line break (`\n`
/// in the DOT text, written once, so Graphviz breaks the line instead of printing `\n`).
fn label(lines: &[&str]) -> String {
    format!("\"{}\"", lines.iter().map(|l| esc(l)).collect::<Vec<_>>().join("\\n"))
}

/// Graphviz: uplink → bridge → host end → jail-side interface, jails as clusters.
fn dot(r: &Report) -> String {
    let mut s = String::from("digraph vimage {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
    for b in &r.bridges {
        s.push_str(&format!(
            "  {} [shape=box, label={}];\n",
            q(&format!("if:{}", b.uplink)),
            label(&[&b.uplink, "uplink"])
        ));
        let who = match (b.kind, b.owned) {
            (BridgeKind::Netgraph, _) => "ng_bridge, vimage",
            (_, true) => "vimage",
            _ => "not vimage's",
        };
        s.push_str(&format!("  {} [shape=ellipse, label={}];\n", q(&format!("if:{}", b.name)), label(&[&b.name, who])));
        if b.name != b.uplink {
            s.push_str(&format!(
                "  {} -> {} [dir=none];\n",
                q(&format!("if:{}", b.uplink)),
                q(&format!("if:{}", b.name))
            ));
        }
    }
    for j in &r.jails {
        let title = match j.jid {
            Some(id) => format!("jail {} (jid {id})", j.jail),
            None => format!("jail {} (not running)", j.jail),
        };
        s.push_str(&format!("  subgraph {} {{\n    label={};\n", q(&format!("cluster_{}", j.jail)), q(&title)));
        for n in &j.nics {
            let name = n.name.clone().unwrap_or_else(|| format!("NIC {}", n.nic));
            let mac = n.mac.as_deref().unwrap_or("");
            let lines: Vec<&str> = if n.state == "stored" { vec![&name, mac, "stored"] } else { vec![&name, mac] };
            s.push_str(&format!(
                "    {} [shape=box, style=rounded, label={}];\n",
                q(&format!("jail:{}:{}", j.jail, n.nic)),
                label(&lines)
            ));
        }
        s.push_str("  }\n");
        for n in &j.nics {
            let jail_if = q(&format!("jail:{}:{}", j.jail, n.nic));
            let Some(host_if) = &n.host_if else { continue };
            if n.mode == ModeKind::Passthrough {
                let host = q(&format!("if:{host_if}"));
                s.push_str(&format!("  {host} [shape=box, label={}];\n", label(&[host_if, "physical"])));
                s.push_str(&format!("  {host} -> {jail_if} [label=\"vnet\", style=dashed];\n"));
                continue;
            }
            let host = q(&format!("{}:{host_if}", if n.mode == ModeKind::Netgraph { "ng" } else { "if" }));
            let lab = match (&n.node_id, n.link) {
                (Some(id), Some(l)) => label(&[&format!("{host_if} {id}"), &format!("link{l}, {}", n.state)]),
                _ => label(&[host_if, &n.state]),
            };
            s.push_str(&format!("  {host} [shape=box, label={lab}];\n"));
            if let Some(b) = &n.bridge {
                s.push_str(&format!("  {} -> {host} [dir=none];\n", q(&format!("if:{b}"))));
            }
            let how = if n.mode == ModeKind::Netgraph { "ng_eiface" } else { "epair" };
            s.push_str(&format!("  {host} -> {jail_if} [label=\"{how}\", dir=none];\n"));
        }
    }
    for o in &r.orphans {
        s.push_str(&format!(
            "  {} [shape=box, color=red, label={}];\n",
            q(&format!("if:{}", o.object)),
            label(&[&o.object, "orphan"])
        ));
    }
    s.push_str("}\n");
    s
}
