//! The planner: from a desired [`JailNet`] and a [`HostView`] to a complete [`Plan`], with no
//! I/O. Every refusal happens here, before the first change.

pub mod addr;
pub mod bridge;
pub mod devfs;
pub mod doctor;
mod epair;
pub mod gc;
pub mod inventory;
pub mod netgraph;
mod passthrough;
pub mod pf;
mod planner;
pub mod privnet;
pub mod render;
pub mod service;
pub mod unbridge;
mod userland;
pub mod vlan;

pub use bridge::plan_bridge;
pub use unbridge::plan_unbridge;

use crate::model::{JailName, Mac, ModeKind};
use crate::op::{IfRef, Op, Slot};
use serde::Serialize;

/// One step: the change and, as data, how to reverse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The change to make.
    pub op: Op,
    /// How to reverse it on rollback; `None` when an earlier step's undo covers it.
    pub undo: Option<Op>,
    /// Record changes that hold as soon as this step succeeds, even if a later one fails
    /// (teardown, which keeps going past failures, records each destroy on its own).
    pub effects: Vec<Effect>,
}

impl Step {
    /// A step whose undo is the op's natural inverse.
    pub fn new(op: Op) -> Step {
        let undo = op.undo();
        Step { op, undo, effects: Vec::new() }
    }

    /// The same step, recording `e` when it succeeds.
    pub fn with_effect(mut self, e: Effect) -> Step {
        self.effects.push(e);
        self
    }
}

/// The record of one NIC as a plan means to write it; names the kernel chooses are slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NicFx {
    /// The NIC's index, the record's key within the jail.
    pub nic: u32,
    /// Name inside the jail.
    pub nic_name: String,
    /// `epair`, `netgraph`, `passthrough`.
    pub mode: ModeKind,
    /// epair: the host end; netgraph: the eiface node's name; passthrough: the interface.
    pub host_if: IfRef,
    /// The if_bridge or ng_bridge it hangs on.
    pub bridge: Option<IfRef>,
    /// The uplink it is bridged to (epair, netgraph).
    pub uplink: Option<String>,
    /// The MAC it was given, so the next start reuses it.
    pub mac: Option<Mac>,
    /// The jail instance it was given to; a restarted jail needs it again.
    pub jid: u32,
    /// netgraph: the slot holding the eiface node's ID (hex), and the bridge link it uses.
    pub ng_node: Option<Slot>,
    /// netgraph: N of the ng_bridge hook `link<N>` it uses.
    pub ng_link: Option<u32>,
    /// netgraph: `ng<i>_<jail>` before shortening, when the name had to be shortened.
    pub wanted_name: Option<String>,
    /// passthrough: the interface was UP on the host, so it is brought up when it returns.
    pub was_up: Option<bool>,
    /// A Linux userland's NIC keeps the kernel's name: the interface inside the jail (the
    /// epair's jail end, the eiface the batch made), recorded with `nic_name` as vimage's name
    /// of the NIC. `None`: it is called `nic_name` in the jail.
    pub jail_if: Option<IfRef>,
}

impl NicFx {
    /// An epair NIC: host end and bridge, both possibly still to be created.
    pub fn epair(nic: u32, nic_name: &str, host_if: IfRef, bridge: IfRef, uplink: &str, mac: Mac, jid: u32) -> NicFx {
        NicFx {
            nic,
            nic_name: nic_name.to_string(),
            mode: ModeKind::Epair,
            host_if,
            bridge: Some(bridge),
            uplink: Some(uplink.to_string()),
            mac: Some(mac),
            jid,
            ng_node: None,
            ng_link: None,
            wanted_name: None,
            was_up: None,
            jail_if: None,
        }
    }
}

/// What a run changes in vimage's records (written in the same transaction that closes the
/// run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// A NIC now exists.
    Attach(NicFx),
    /// A NIC is gone.
    Detach {
        /// The NIC's index, whose record goes.
        nic: u32,
    },
    /// A bridge is in use for an uplink.
    Bridge {
        /// The bridge, possibly one this run creates (then a slot).
        name: IfRef,
        /// The uplink it joins jails to, so the next jail on it reuses the bridge.
        uplink: String,
        /// vimage created it, so it is destroyed when its last jail leaves.
        owned: bool,
    },
    /// vimage turned on `promisc` on the vtnet uplink of if_bridge `bridge`, which it made in
    /// the same run: the bridge's record says so (`ng_promisc` = `Some(false)`, "it was not
    /// promiscuous before"), so the last jail's unbridge turns it off again, and nothing else
    /// ever does.
    UplinkPromisc {
        /// The bridge vimage made for the uplink (a slot of this run).
        bridge: IfRef,
    },
    /// vimage made ng_bridge `name` on `uplink`'s ng_ether node, whose flags were `promisc`
    /// and `autosrc` before (restored when the bridge goes).
    NgBridge {
        /// The ng_bridge node's name.
        name: String,
        /// The host interface whose ng_ether node it is attached to.
        uplink: String,
        /// The ng_ether node's `promisc` before vimage set it.
        promisc: bool,
        /// The ng_ether node's `autosrc` before vimage cleared it.
        autosrc: bool,
    },
    /// A bridge is gone (or no longer ours to track).
    BridgeGone {
        /// The bridge whose record goes.
        name: String,
    },
    /// A private network's pool gave NIC `nic` address `addr` for good (until released).
    Lease {
        /// The network.
        net: String,
        /// The NIC's index.
        nic: u32,
        /// The address.
        addr: std::net::Ipv4Addr,
    },
    /// Remember a NIC's MAC for good.
    Mac {
        /// The NIC's index.
        nic: u32,
        /// The MAC it keeps across restarts, so DHCP leases and switch tables stay valid.
        mac: Mac,
    },
    /// Where the standalone service is in starting or stopping this jail (`None` clears it):
    /// written in the same transaction as the run, so a crash between runs is recognised.
    Lifecycle {
        /// The stage (`starting`), or `None` once the start or stop is complete.
        state: Option<String>,
    },
    /// The jail uses vimage's devfs ruleset `ruleset` in jail instance `jid` (its /dev had
    /// `prev`; CBSD was told when `cbsd`).
    DevfsUse {
        /// vimage's ruleset number.
        ruleset: u16,
        /// The ruleset the jail's /dev had, restored when it is released.
        prev: u16,
        /// The jail instance it was applied in; a restarted jail needs it applied again.
        jid: u32,
        /// CBSD's `devfs_ruleset` was set too, so the release sets it back.
        cbsd: bool,
    },
    /// The jail no longer uses it.
    DevfsRelease,
    /// vimage turned `net.inet.ip.forwarding` on from `Some(value)` for a NAT network, or
    /// (`None`) put it back: recorded so only a forwarding vimage turned on is turned off.
    Forwarding {
        /// The value vimage found; `None` clears the record.
        set_from: Option<String>,
    },
}

/// A change to a file on the host, made after every kernel step succeeded (so a failed run
/// leaves the files as they were), as an edit of the file's contents at that moment: lines
/// vimage does not own stay byte for byte, even if someone changed the file since planning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FileEdit {
    /// vimage's section of `/etc/devfs.rules`: `Some(n)` makes it `[vimage_vnet_bpf=n]` with
    /// vimage's rules, `None` removes it.
    DevfsRules {
        /// The section's ruleset number; `None` removes the section.
        set: Option<u16>,
    },
    /// The jail's resolv.conf gets the host's `nameserver` lines, when it has none.
    Resolv {
        /// The file as vimage opens it (under `VIMAGE_ROOT`).
        path: std::path::PathBuf,
        /// How messages name the file.
        shown: String,
        /// The host's `nameserver` lines.
        lines: Vec<String>,
    },
    /// Lines of the jail's rc.conf.
    RcConf {
        /// The file as vimage opens it (under `VIMAGE_ROOT`, or `rcconf=`).
        path: std::path::PathBuf,
        /// How messages name the file.
        shown: String,
        /// Keys to set, in order, to these values.
        set: Vec<(String, String)>,
        /// Keys whose every assignment goes.
        remove: Vec<String>,
    },
}

impl FileEdit {
    /// One line per change, for the admin (dry run, report).
    pub fn describe(&self) -> Vec<String> {
        match self {
            FileEdit::DevfsRules { set: Some(n) } => {
                vec![format!("/etc/devfs.rules: vimage's section [{}={n}] (ruleset 5 plus bpf)", crate::devfs::SECTION)]
            }
            FileEdit::DevfsRules { set: None } => {
                vec![format!("/etc/devfs.rules: remove vimage's section [{}=…]", crate::devfs::SECTION)]
            }
            FileEdit::Resolv { shown, lines, .. } => lines.iter().map(|l| format!("{shown}: {l}")).collect(),
            FileEdit::RcConf { shown, set, remove, .. } => set
                .iter()
                .map(|(k, v)| format!("{shown}: {k}=\"{v}\""))
                .chain(remove.iter().map(|k| format!("{shown}: remove {k}")))
                .collect(),
        }
    }
}

/// The jail a run is about as messages and the audit trail name it: `None` for the runs that
/// belong to no jail — `doctor fix=1`'s and gc's jail-less plans — which the journal files
/// under a scope name ([`doctor::DOCTOR_SCOPE`], [`gc::GC_SCOPE`]) an admin must never see.
pub fn shown_jail(jail: &str, verb: Option<Verb>) -> Option<&str> {
    let scoped = verb == Some(Verb::Doctor) || jail == doctor::DOCTOR_SCOPE || jail == gc::GC_SCOPE;
    (!scoped).then_some(jail)
}

/// How a note about a run begins: `jail web1`, `doctor fix=1` or `gc` (see [`shown_jail`]).
pub fn run_label(jail: &str, verb: Option<Verb>) -> String {
    match shown_jail(jail, verb) {
        Some(j) => format!("jail {j}"),
        None if verb == Some(Verb::Doctor) || jail == doctor::DOCTOR_SCOPE => "doctor fix=1".to_string(),
        None => "gc".to_string(),
    }
}

/// Which verb a plan serves; recovery treats them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verb {
    /// Setup: rolled back if interrupted.
    Bridge,
    /// Teardown: finished (replanned) if interrupted.
    Unbridge,
    /// The service creating a jail: rolled back (the jail removed) if interrupted.
    Start,
    /// The service stopping a jail: finished if interrupted.
    Stop,
    /// `vimage devfs`: setup, rolled back if interrupted.
    Devfs,
    /// `vimage doctor fix=1`: loads kernel modules for no jail in particular; a setup, rolled
    /// back (which undoes nothing: a loaded module stays) if interrupted.
    Doctor,
}

impl Verb {
    /// The journal's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Bridge => "bridge",
            Verb::Unbridge => "unbridge",
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Devfs => "devfs",
            Verb::Doctor => "doctor",
        }
    }

    /// The verb a journal's run names ([`Verb::as_str`]); `None` for one this version does not
    /// know (a newer vimage's).
    pub fn parse(s: &str) -> Option<Verb> {
        [Verb::Bridge, Verb::Unbridge, Verb::Start, Verb::Stop, Verb::Devfs, Verb::Doctor]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    /// Setup verbs are all or nothing: rolled back on failure and after a crash.
    pub fn is_setup(self) -> bool {
        !matches!(self, Verb::Unbridge | Verb::Stop)
    }
}

/// A complete, validated set of changes for one jail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The jail the plan is for; the journal and every message name it.
    pub jail: JailName,
    /// What kind of change it is, which decides rollback versus replay after a crash.
    pub verb: Verb,
    /// The kernel changes, in order, each with its undo.
    pub steps: Vec<Step>,
    /// Record changes that hold only if every step succeeds.
    pub effects: Vec<Effect>,
    /// Sentences for the admin: what was reused, what is already in place, and why.
    pub notes: Vec<String>,
    /// File changes made once every step succeeded.
    pub files: Vec<FileEdit>,
}

impl Plan {
    /// A plan with no steps yet.
    pub fn new(jail: JailName, verb: Verb) -> Plan {
        Plan { jail, verb, steps: Vec::new(), effects: Vec::new(), notes: Vec::new(), files: Vec::new() }
    }

    /// True when running it would change nothing in the kernel.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// True when running it would change nothing at all: no kernel step, record or file.
    pub fn changes_nothing(&self) -> bool {
        self.steps.is_empty() && self.effects.is_empty() && self.files.is_empty()
    }

    /// Every slot a step of this plan fills.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.steps.iter().filter_map(|s| s.op.binds())
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_addr;
#[cfg(test)]
mod tests_cbsd;
#[cfg(test)]
mod tests_linux;
#[cfg(test)]
mod tests_modes;
