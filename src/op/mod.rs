//! The kernel contract: every change vimage makes, as data. Each [`Op`] renders to exactly one
//! FreeBSD command and knows its undo, how to read its output, and which FreeBSD errors mean
//! its object is already gone. The commands are built by family, one file each: `iface`
//! (interfaces and bridges), `jail`, `netgraph` (with [`ngscript`]), `devfs`, `addr`
//! (addresses and routes), [`cbsd`], [`pf`] (vimage's pf anchors and sysctls).
//!
//! Ops live here, below both the planner (which builds them) and the state database (whose
//! journal stores them, serialized, so a crash recovery can replay their undos): the journal
//! needs the type to read a step back, and giving it an opaque blob instead would leave the
//! recovery reasoning about JSON. Nothing here imports the planner, the executor or the
//! journal. The serialized form is the journal's format: variant and field names never change
//! (a field that moved into a shared type, like [`InJail`], is flattened back into the op).
//!
//! Some names are only known once the kernel has chosen them (`ifconfig epair create` prints
//! `epair7a`). A later step refers to such a name through a [`Slot`]; the executor fills the
//! slot from the creating command's output. Dry runs print slots as `$name` variables, so the
//! printed plan reads like the shell script it stands for.

mod addr;
pub mod cbsd;
mod devfs;
pub mod gone;
mod iface;
mod jail;
mod netgraph;
pub mod ngscript;
mod object;
pub mod pf;

use crate::host::{Cmd, Output, Program};
use crate::model::{IfName, JailName, Mac};
use crate::naming::{bridge_marker, epair_marker, epair_peer};
use ngscript::NgLine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A name the kernel will choose, identified by a label that says what it is for
/// (`eth0_a`, `bridge_em0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot(pub String);

/// An interface named literally or through a slot.
///
/// Journals keep it as `{"Name": "eth0"}` (or `Created`/`Peer`); a plain string is read as
/// a name, which is how ops that took only literal names (`AddrAdd`) were journalled before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IfRef {
    /// A name known at plan time.
    Name(String),
    /// The interface a creating step printed (the epair's a-end, the new bridge).
    Created(Slot),
    /// The other end of the epair whose a-end is in the slot (`epair7a` → `epair7b`).
    Peer(Slot),
}

impl IfRef {
    /// A literal name.
    pub fn name(s: impl Into<String>) -> IfRef {
        IfRef::Name(s.into())
    }

    /// The concrete name, once known.
    pub fn resolve(&self, b: &Bindings) -> Option<String> {
        match self {
            IfRef::Name(n) => Some(n.clone()),
            IfRef::Created(s) => b.get(s).cloned(),
            IfRef::Peer(s) => b.get(s).map(|a| epair_peer(a)),
        }
    }

    /// How a dry run shows it: the name, or the slot as a shell variable.
    pub fn display(&self, b: &Bindings) -> String {
        match (self.resolve(b), self) {
            (Some(n), _) => n,
            (None, IfRef::Created(s)) => format!("${}", s.0),
            (None, IfRef::Peer(s)) => format!("${}", peer_label(&s.0)),
            (None, IfRef::Name(n)) => n.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for IfRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IfRef, D::Error> {
        #[derive(Deserialize)]
        enum Tagged {
            Name(String),
            Created(Slot),
            Peer(Slot),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Plain(String),
            Tagged(Tagged),
        }
        Ok(match Repr::deserialize(d)? {
            Repr::Plain(n) | Repr::Tagged(Tagged::Name(n)) => IfRef::Name(n),
            Repr::Tagged(Tagged::Created(s)) => IfRef::Created(s),
            Repr::Tagged(Tagged::Peer(s)) => IfRef::Peer(s),
        })
    }
}

impl From<&IfName> for IfRef {
    fn from(n: &IfName) -> IfRef {
        IfRef::Name(n.to_string())
    }
}

/// Slot label of an epair's b-end, from its a-end's label (`eth0_a` → `eth0_b`).
fn peer_label(a: &str) -> String {
    match a.strip_suffix("_a") {
        Some(stem) => format!("{stem}_b"),
        None => format!("{a}_peer"),
    }
}

/// Names the kernel chose during one run.
pub type Bindings = BTreeMap<Slot, String>;

/// One change to the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `ifconfig bridge create description vimage:<uplink> group vimage addm <uplink> up`
    CreateBridge {
        /// Receives the name the kernel gives the bridge.
        slot: Slot,
        /// The interface added as the bridge's first member; also named in its marker.
        uplink: String,
    },
    /// `ifconfig bridge create description vimage:net:<name> group vimage up`: the bridge of a
    /// private network (see `crate::model::privnet`), with no physical member.
    CreateNetBridge {
        /// Receives the name the kernel gives the bridge.
        slot: Slot,
        /// The network's uplink word (`net:jails`), written into the bridge's marker.
        uplink: String,
    },
    /// `ifconfig <bridge> inet <gw/prefix> alias` (or `inet6`): a private network's gateway
    /// address on its bridge. No undo of its own: it is only ever put on a bridge this plan
    /// made or one vimage made for the network, and it goes when that bridge is destroyed.
    BridgeAddr {
        /// The network's bridge.
        bridge: IfRef,
        /// The gateway with the network's prefix (`10.77.0.1/24`).
        cidr: String,
        /// IPv6 rather than IPv4.
        v6: bool,
    },
    /// `ifconfig epair create description vimage:<jail>:<nic> group vimage mtu <mtu> up`:
    /// the host end, configured in the same call that creates it.
    CreateEpair {
        /// Receives the a-end's name the kernel prints (`epair7a`).
        slot: Slot,
        /// The jail the epair is for, written into its marker.
        jail: JailName,
        /// The NIC the epair is for, written into its marker.
        nic: IfName,
        /// The uplink's MTU, so frames fit across the bridge.
        mtu: u32,
    },
    /// `ifconfig <bridge> addm <member>`
    AddMember {
        /// The bridge to join.
        bridge: IfRef,
        /// The interface joining it (an epair's host end).
        member: IfRef,
    },
    /// `ifconfig <iface> mtu <mtu> vnet <jid>`: the jail end's MTU, then the move. By JID, not
    /// name, so a jail that was restarted since the plan was made is not silently given the
    /// interface.
    MoveToJail {
        /// The interface to move (the epair's jail end).
        iface: IfRef,
        /// The uplink's MTU, set before the move while the interface is still on the host.
        mtu: u32,
        /// The jail, for the journal and messages (the command addresses it by `jid`).
        jail: JailName,
        /// The jail instance to move it into.
        jid: u32,
    },
    /// `ifconfig -j <jid> <iface> ether <mac> name <name> up` (or `jexec <jid> ifconfig …`
    /// before FreeBSD 14): MAC and name set inside the jail, so host-side names never collide
    /// (CBSD #896). The MAC cannot go with the move: ifconfig applies a link-layer address
    /// after all other parameters (an address family's deferred set, sbin/ifconfig/ifconfig.c),
    /// so it would be set after `vnet`, on an interface no longer in the host. Here it lands on
    /// the renamed interface, inside the jail, where a vnet jail may set it.
    RenameInJail {
        /// The jail, for the journal and messages (the command addresses it by `at`).
        jail: JailName,
        /// Where ifconfig runs: the jail instance, by ID (a jail restarted since planning is
        /// never touched), and whether through `jexec`.
        #[serde(flatten)]
        at: InJail,
        /// The interface's kernel-given name inside the jail (`epair7b`).
        iface: IfRef,
        /// The MAC decided at plan time (the admin's, CBSD's, the stored one, or a new unique one).
        mac: Mac,
        /// The name the jail should see (`eth0`).
        name: IfName,
    },
    /// `ifconfig -j <jid> <iface> ether <mac> up`: a NIC of a jail with a Linux userland keeps
    /// the name the kernel gave it (the Linux ABI shows its programs names of its own), so only
    /// its MAC is set and it is brought up, from the host (there is no FreeBSD ifconfig inside).
    ConfigureInJail {
        /// The jail, for the journal and messages (the command addresses it by `jid`).
        jail: JailName,
        /// The jail instance's ID, so a jail restarted since planning is never touched.
        jid: u32,
        /// The interface inside the jail, under the kernel's name (`epair7b`, `ngeth3`).
        iface: IfRef,
        /// The MAC decided at plan time.
        mac: Mac,
    },
    /// `ifconfig <iface> destroy`
    Destroy {
        /// The interface to destroy (an epair's host end takes its peer with it).
        iface: IfRef,
    },
    /// `ifconfig <iface> group vimage`: takes over the host end of an epair CBSD's jstart made
    /// for this NIC, so vimage moves it in (renamed inside the jail, not on the host) and no
    /// second epair is made. CBSD's description `<jail>-eth<N>` stays: CBSD's jstop finds its
    /// epair by it, before vimage's hook runs, and destroys it after `jail -r` (see
    /// [`crate::naming::epair_mark`]). Undone by [`Op::Unadopt`].
    Adopt {
        /// The host end CBSD created.
        iface: String,
        /// The jail, for the journal and messages.
        jail: JailName,
        /// The NIC, for the journal and messages.
        nic: IfName,
    },
    /// `ifconfig <iface> -group vimage`: gives an adopted host end back to CBSD alone.
    Unadopt {
        /// The adopted host end.
        iface: String,
        /// A description to put back: only in journals of vimage versions that replaced
        /// CBSD's description with their own marker; `None` now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// `ifconfig <iface> -vnet <jid>`: takes an interface back from a jail (undo of a move of an
    /// interface vimage did not create).
    Reclaim {
        /// The interface's name inside the jail.
        iface: String,
        /// The jail instance that holds it.
        jid: u32,
    },
    /// `ifconfig -j <jid> <from> name <to>` (or via jexec): undo of an in-jail rename.
    RenameBackInJail {
        /// Where ifconfig runs: the jail instance, by ID (a jail restarted since planning is
        /// never touched), and whether through `jexec`.
        #[serde(flatten)]
        at: InJail,
        /// The name vimage gave it.
        from: IfName,
        /// The name it had before.
        to: String,
    },
    /// `jail -c name=N path=P host.hostname=H vnet persist …` (the standalone service).
    CreateJail {
        /// The jail to create, also the undo's target.
        jail: JailName,
        /// jail(8) `param=value` words, including `name=` (the command line is built from them).
        params: Vec<String>,
    },
    /// `jail -r <jail>`: after its interfaces were taken back, never before.
    RemoveJail {
        /// The jail to remove.
        jail: JailName,
    },
    /// `jexec <jail> /bin/sh -c <command>`: the admin's `exec_start`/`exec_stop`, run by the
    /// jail's own shell as jail(8) runs `exec.start` (the jail name itself never goes through a
    /// shell).
    ExecInJail {
        /// The jail to run it in.
        jail: JailName,
        /// The admin's command line, given to the jail's /bin/sh.
        command: String,
    },
    /// `devfs rule -s <set> add <words…>`: one rule of vimage's ruleset, loaded into the
    /// running kernel. `new_set`: the set did not exist, so undoing this rule means `delset`.
    DevfsRuleAdd {
        /// vimage's ruleset number.
        set: u16,
        /// The rule as argv words after `add` (`include 1`, `path bpf* unhide`).
        words: Vec<String>,
        /// The set did not exist before, so its undo deletes the whole set.
        new_set: bool,
    },
    /// `devfs rule -s <set> delset`
    DevfsDelset {
        /// The ruleset to delete.
        set: u16,
    },
    /// `devfs -m <mount> ruleset <set>`: the mount's active ruleset (what devices appearing
    /// later get); `prev` is what it had, for the undo.
    DevfsUse {
        /// The jail's devfs mount point (`<path>/dev`).
        mount: String,
        /// The ruleset to make active.
        set: u16,
        /// The ruleset it had, for the undo.
        prev: u16,
    },
    /// `devfs -m <mount> rule -s <set> applyset`: runs the ruleset over the mount's existing
    /// nodes, which is what makes bpf appear in a running jail's /dev.
    DevfsApply {
        /// The jail's devfs mount point (`<path>/dev`).
        mount: String,
        /// The ruleset to apply.
        set: u16,
        /// The ruleset it had; the undo applies that one again (`0`: nothing to reapply).
        prev: u16,
    },
    /// `jail -m jid=<jid> devfs_ruleset=<set>`: the running jail's own parameter
    /// (kern_jail.c `pr_devfs_rsnum`), so `jls` tells the truth and a devfs mounted inside the
    /// jail later gets the ruleset too. By JID, so a jail restarted since is never changed.
    JailSetDevfs {
        /// The jail, for the journal and messages (the command addresses it by `jid`).
        jail: JailName,
        /// The jail instance.
        jid: u32,
        /// The ruleset to set.
        set: u16,
        /// The value it had, for the undo (`0`: none).
        prev: u16,
    },
    /// `cbsd jset jname=<jail> <key>=<value>`: CBSD's own setting, so the jail's next start
    /// mounts /dev with vimage's ruleset.
    CbsdJset {
        /// The CBSD jail to change.
        jail: JailName,
        /// The CBSD setting (`devfs_ruleset`).
        key: String,
        /// The value to store.
        value: String,
        /// The value it had, for the undo.
        prev: String,
    },
    /// `ifconfig -j <jid> <iface> inet <a/p> alias` (or `inet6 -ifdisabled <a/p> alias`):
    /// an address inside the jail; `alias` so it never replaces another one.
    AddrAdd {
        /// The jail, for the journal and messages (the command addresses it by `at`).
        jail: JailName,
        /// Where ifconfig runs: the jail instance, by ID (a jail restarted since planning is
        /// never touched), and whether through `jexec`.
        #[serde(flatten)]
        at: InJail,
        /// The NIC inside the jail (a slot when it keeps a name the kernel has yet to give).
        iface: IfRef,
        /// The address with its prefix length (`192.0.2.10/24`).
        cidr: String,
        /// IPv6 (`inet6`) rather than IPv4.
        v6: bool,
    },
    /// `ifconfig -j <jid> <iface> inet <a> -alias`: an address vimage no longer wants.
    AddrDel {
        /// The jail, for the journal and messages (the command addresses it by `at`).
        jail: JailName,
        /// Where ifconfig runs: the jail instance, by ID (a jail restarted since planning is
        /// never touched), and whether through `jexec`.
        #[serde(flatten)]
        at: InJail,
        /// The NIC inside the jail.
        iface: IfRef,
        /// The address with its prefix length; only the address goes to `-alias`.
        cidr: String,
        /// IPv6 (`inet6`) rather than IPv4.
        v6: bool,
    },
    /// `ifconfig -j <jid> <iface> inet6 -ifdisabled accept_rtadv`: IPv6 autoconfiguration.
    Slaac {
        /// The jail, for the journal and messages (the command addresses it by `at`).
        jail: JailName,
        /// Where ifconfig runs: the jail instance, by ID (a jail restarted since planning is
        /// never touched), and whether through `jexec`.
        #[serde(flatten)]
        at: InJail,
        /// The NIC inside the jail.
        iface: IfName,
    },
    /// `jexec <jid> dhclient <iface>`: a DHCP lease (dhclient stays in the jail, renewing it).
    Dhclient {
        /// The jail, for the journal and messages (the command addresses it by `jid`).
        jail: JailName,
        /// The jail instance's ID, so a jail restarted since planning is never touched.
        jid: u32,
        /// The NIC inside the jail.
        iface: IfName,
    },
    /// `jexec <jid> route add|change [-inet6] default <gw>` (`route -j <jid> …` for a jail
    /// with a Linux userland, where route(8) has `-j`); `old` is the router being replaced
    /// (`change`), `None` when there was none (`add`).
    RouteDefault {
        /// The jail, for the journal and messages (the command addresses it by `jid`).
        jail: JailName,
        /// The jail instance's ID, so a jail restarted since planning is never touched.
        jid: u32,
        /// IPv6 (`inet6`) rather than IPv4.
        v6: bool,
        /// The router to set.
        gw: String,
        /// The router being replaced, which the undo puts back.
        old: Option<String>,
        /// Run the host's route(8) in the jail (`route -j <jid>`) instead of the jail's own
        /// through jexec: there is no FreeBSD route inside a Linux userland.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        route_j: bool,
    },
    /// `jexec <jid> route delete [-inet6] default` (or `route -j <jid> delete …`)
    RouteDelete {
        /// The jail, for the journal and messages (the command addresses it by `jid`).
        jail: JailName,
        /// The jail instance's ID, so a jail restarted since planning is never touched.
        jid: u32,
        /// IPv6 (`inet6`) rather than IPv4.
        v6: bool,
        /// `route -j <jid>` rather than `jexec <jid> route` (see [`Op::RouteDefault`]).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        route_j: bool,
    },
    /// `ngctl -f -` with every netgraph change of one start (see [`ngscript`]); `slot`
    /// gets the number of lines that completed, so the undo reverses exactly those.
    NgScript {
        /// Receives the number of completed lines (and the names `getifname` replies gave).
        slot: Slot,
        /// The netgraph commands, each with its inverse.
        lines: Vec<NgLine>,
    },
    /// The undo of the [`Op::NgScript`] whose progress is in `of`: `ngctl -f -` with the
    /// inverse of its completed lines, newest first.
    NgUndo {
        /// The slot of the script being undone, which says how many of its lines completed.
        of: Slot,
        /// That script's lines, whose inverses are run.
        lines: Vec<NgLine>,
    },
    /// `ngctl shutdown [<id>]:`: removes an ng_eiface node and with it its ifnet, wherever that
    /// is (ng_eiface.c `ng_eiface_rmnode`). By ID, which the kernel never reuses while it runs,
    /// so it cannot hit another node that took the name since; `name` is for the admin.
    NgShutdown {
        /// The node's ID.
        id: u32,
        /// The node's name, for the admin.
        name: String,
    },
    /// `ifconfig <iface> vnet <jid>`: a physical interface into the jail (passthrough);
    /// `was_up` (it was UP on the host) makes the undo bring it up again.
    Vnet {
        /// The physical interface.
        iface: String,
        /// The jail, for the journal and messages (the command addresses it by `jid`).
        jail: JailName,
        /// The jail instance to move it into.
        jid: u32,
        /// It was UP on the host, so the undo brings it up again.
        was_up: bool,
    },
    /// `ifconfig <iface> -vnet <jid> [up]`: takes it back; `up` when it was up on the host before
    /// (the move cleared IFF_UP). Run even when the jail is about to go, because the kernel
    /// does not always give the interface back (the original vimage script does the same).
    Unvnet {
        /// The interface's name inside the jail.
        iface: String,
        /// The jail instance that holds it.
        jid: u32,
        /// Bring it up once back on the host.
        up: bool,
    },
    /// `kldload -n <module>`: a kernel module FreeBSD never loads on demand (ng_ether), loaded
    /// as jng does. Not undone: unloading a module other code may have started to use is not
    /// vimage's to do, and loading it again is a no-op.
    KldLoad {
        /// The module (`ng_ether`).
        module: String,
    },
    /// `ifconfig <parent>.<tag> create`: a vlan(4) uplink vimage creates because it is
    /// missing, by name (ifvlan.c `vlan_parse_ethervid` derives parent and tag from it)
    /// (so the kernel's name is the planned one and nothing has to be read back). Undone by
    /// destroying it; [`Op::MarkVlan`] marks it vimage's right after.
    CreateVlan {
        /// The vlan's name, `<parent>.<tag>`.
        name: String,
        /// Its parent, for messages.
        parent: String,
        /// Its VLAN ID, for messages.
        tag: u16,
    },
    /// `ifconfig <vlan> description vimage:vlan/<vlan> group vimage up`: the marker by which
    /// teardown, `gc` and crash recovery know the vlan is vimage's to destroy
    /// ([`crate::naming::vlan_marker`]). No undo of its own: [`Op::CreateVlan`]'s destroy covers it.
    MarkVlan {
        /// The vlan vimage just created.
        name: String,
    },
    /// `ifconfig <bridge> vlanfilter` (FreeBSD 15, if_bridge.c `BRDGSFLAGS` `IFBRF_VLANFILTER`):
    /// only on a bridge this run creates, so its undo is that bridge's destroy.
    VlanFilter {
        /// The bridge (vimage's, just created).
        bridge: IfRef,
    },
    /// `ifconfig <bridge> [ifuntagged <member> <N>] [iftagged <member> <LIST>]` (FreeBSD 15,
    /// `BRDGSIFPVID`, `BRDGSIFVLANSET`): a jail's host end as untagged member of one VLAN and
    /// tagged member of others. No undo: the epair's destroy takes the membership along.
    MemberVlans {
        /// The bridge.
        bridge: IfRef,
        /// The jail's host end.
        member: IfRef,
        /// Its PVID (`ifuntagged`).
        untagged: Option<u16>,
        /// The VLANs it carries tagged (`iftagged`).
        tagged: Vec<u16>,
    },
    /// `ifconfig <bridge> +iftagged <uplink> <LIST>` (or `-iftagged` when `add` is false): the
    /// uplink member of vimage's bridge carries the jails' VLANs tagged. Undone by the other
    /// sign, for exactly the VLANs it added.
    UplinkTagged {
        /// vimage's bridge.
        bridge: IfRef,
        /// Its uplink member.
        uplink: String,
        /// The VLANs added (or removed).
        vlans: Vec<u16>,
        /// `+iftagged` (true) or `-iftagged`.
        add: bool,
    },
    /// `ifconfig <iface> promisc` (`on`) or `-promisc`: IFF_PPROMISC on a host uplink
    /// (sbin/ifconfig/ifconfig.c `setifflags`). A vtnet(4) uplink drops frames for MACs it
    /// does not know unless promiscuous, bridge or not (FreeBSD PR 254343; CBSD's vnet.subr
    /// does the same), so vimage sets it as it makes the bridge, and clears it only when the
    /// bridge it made goes and its record says vimage set it.
    Promisc {
        /// The host interface (a vtnet uplink).
        iface: String,
        /// `promisc` (true) or `-promisc`.
        on: bool,
    },
    /// `ifconfig <bridge> private <member> -learn <member> …`: if_bridge member flags
    /// (sbin/ifconfig/ifbridge.c `setbridge_private` & co., BRDGSIFFLGS). No undo of its own
    /// on vimage's epair: the flags live in the membership, which goes with the epair; on an
    /// adopted CBSD epair the planner gives the inverse flags as the step's undo.
    MemberFlags {
        /// The bridge.
        bridge: IfRef,
        /// Its member (an epair's host end).
        member: IfRef,
        /// The flags, in order (`private`, `-learn`).
        flags: Vec<crate::model::link::MemberFlag>,
    },
    /// `ifconfig <iface> -txcsum -txcsum6 -tso -lro` (`off`) or the same without `-`: the
    /// checksum and segmentation offloads of an epair end (`offload=off`, cbsd #892). No undo
    /// of its own on vimage's epair (they go with it); an adopted epair's step carries the
    /// inverse.
    Offload {
        /// The interface.
        iface: IfRef,
        /// Turn them off (true) or on.
        off: bool,
    },
    /// `ifconfig -j <jid> <iface> up` (`jexec <jid> ifconfig …` before 14.0).
    UpInJail {
        /// Where ifconfig runs: the jail instance, by ID (a jail restarted since planning is
        /// never touched), and whether through `jexec`.
        #[serde(flatten)]
        at: InJail,
        /// The interface inside the jail.
        iface: String,
    },
    /// `pfctl -a <anchor> -f -` with `rules` on stdin: replaces everything the anchor held in
    /// one transaction. `prev` is what it held (as [`pf::anchor_text`] makes it from pfctl's
    /// listing), which the undo loads back; empty, the undo flushes the anchor.
    PfLoadAnchor {
        /// The anchor, always below `vimage/` (`vimage/jails`).
        anchor: String,
        /// The rules, one per line, as pf.conf(5) spells them.
        rules: String,
        /// What the anchor held before, for the undo.
        prev: String,
    },
    /// `pfctl -a <anchor> -F all`: empties one of vimage's anchors (its network's last jail
    /// left). `prev` is what it held, loaded back by the undo when not empty.
    PfFlushAnchor {
        /// The anchor, always below `vimage/`.
        anchor: String,
        /// What the anchor held before, for the undo (empty: nothing to put back).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        prev: String,
    },
    /// `pfctl -nf <path>`: checks the main ruleset file without loading it (`vimage doctor
    /// fix=1 pf=1` after adding the anchor lines). Reads only: no undo.
    PfCheckConf {
        /// The file as pfctl opens it (`/etc/pf.conf`).
        path: String,
    },
    /// `pfctl -f <path>`: loads the main ruleset from the admin's file, in one transaction
    /// (nothing changes when it fails). No undo of its own: what was loaded before came from
    /// the file as it was, which the doctor puts back when a later step fails.
    PfLoadConf {
        /// The file as pfctl opens it (`/etc/pf.conf`).
        path: String,
    },
    /// `sysctl <name>=<value>` (`net.inet.ip.forwarding=1` for a NAT network); the undo puts
    /// back `prev`, the value it found.
    SysctlSet {
        /// The OID (`net.inet.ip.forwarding`).
        name: String,
        /// The value to set.
        value: String,
        /// The value it had, for the undo.
        prev: String,
    },
}

/// Where a command inside a jail runs: the jail instance by ID (so a jail restarted since the
/// plan was made is never touched), and how ifconfig reaches it. Journals keep its fields
/// inline in the op (`"jid": 3, "via_jexec": false`), as they always were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InJail {
    /// The jail instance's ID.
    pub jid: u32,
    /// No `ifconfig -j` (before FreeBSD 14.0): run the jail's ifconfig through `jexec`.
    pub via_jexec: bool,
}

impl InJail {
    /// `ifconfig -j <jid> <args>`, or `jexec <jid> ifconfig <args>` before FreeBSD 14.
    pub fn ifconfig(&self, tail: Vec<String>) -> Cmd {
        let (program, mut args) = if self.via_jexec {
            (Program::Jexec, vec![self.jid.to_string(), "ifconfig".into()])
        } else {
            (Program::Ifconfig, vec!["-j".into(), self.jid.to_string()])
        };
        args.extend(tail);
        Cmd::new(program, args)
    }
}

impl Op {
    /// The command that performs this op, with slots filled from `b` or shown as variables.
    pub fn command(&self, b: &Bindings) -> Cmd {
        match self {
            Op::CreateBridge { uplink, .. } => iface::create_bridge(uplink),
            Op::CreateNetBridge { uplink, .. } => iface::create_net_bridge(uplink),
            Op::BridgeAddr { bridge, cidr, v6 } => iface::bridge_addr(bridge, cidr, *v6, b),
            Op::CreateEpair { jail, nic, mtu, .. } => iface::create_epair(jail, nic, *mtu),
            Op::AddMember { bridge, member } => iface::add_member(bridge, member, b),
            Op::MoveToJail { iface, mtu, jid, .. } => iface::move_to_jail(iface, *mtu, *jid, b),
            Op::RenameInJail { at, iface, mac, name, .. } => iface::rename_in_jail(at, iface, mac, name, b),
            Op::ConfigureInJail { jid, iface, mac, .. } => iface::configure_in_jail(*jid, iface, mac, b),
            Op::Destroy { iface } => iface::destroy(iface, b),
            Op::Adopt { iface, .. } => iface::adopt(iface),
            Op::Unadopt { iface, description } => iface::unadopt(iface, description.as_deref()),
            Op::Reclaim { iface, jid } => iface::unvnet(iface, *jid, false),
            Op::RenameBackInJail { at, from, to } => iface::rename_back_in_jail(at, from, to),
            Op::Vnet { iface, jid, .. } => iface::vnet(iface, *jid),
            Op::Unvnet { iface, jid, up } => iface::unvnet(iface, *jid, *up),
            Op::UpInJail { at, iface } => iface::up_in_jail(at, iface),
            Op::Promisc { iface, on } => iface::promisc(iface, *on),
            Op::MemberFlags { bridge, member, flags } => iface::member_flags(bridge, member, flags, b),
            Op::Offload { iface, off } => iface::offload(iface, *off, b),
            Op::CreateJail { params, .. } => jail::create(params),
            Op::RemoveJail { jail } => jail::remove(jail),
            Op::ExecInJail { jail, command } => jail::exec_in(jail, command),
            Op::DevfsRuleAdd { set, words, .. } => devfs::rule_add(*set, words),
            Op::DevfsDelset { set } => devfs::delset(*set),
            Op::DevfsUse { mount, set, .. } => devfs::use_set(mount, *set),
            Op::DevfsApply { mount, set, .. } => devfs::apply(mount, *set),
            Op::JailSetDevfs { jid, set, .. } => devfs::jail_set(*jid, *set),
            Op::CbsdJset { jail, key, value, .. } => cbsd::jset(jail, key, value),
            Op::AddrAdd { at, iface, cidr, v6, .. } => addr::add(at, iface, cidr, *v6, b),
            Op::AddrDel { at, iface, cidr, v6, .. } => addr::del(at, iface, cidr, *v6, b),
            Op::Slaac { at, iface, .. } => addr::slaac(at, iface),
            Op::Dhclient { jid, iface, .. } => addr::dhclient(*jid, iface),
            Op::RouteDefault { jid, v6, gw, old, route_j, .. } => {
                addr::route_default(*jid, *route_j, *v6, gw, old.is_some())
            }
            Op::RouteDelete { jid, v6, route_j, .. } => addr::route_delete(*jid, *route_j, *v6),
            Op::NgScript { lines, .. } => netgraph::script(lines),
            Op::NgUndo { of, lines } => netgraph::undo(of, lines, b),
            Op::NgShutdown { id, .. } => netgraph::shutdown(*id),
            Op::KldLoad { module } => netgraph::kldload(module),
            Op::CreateVlan { name, .. } => iface::create_vlan(name),
            Op::MarkVlan { name } => iface::mark_vlan(name),
            Op::VlanFilter { bridge } => iface::vlanfilter(bridge, b),
            Op::MemberVlans { bridge, member, untagged, tagged } => {
                iface::member_vlans(bridge, member, *untagged, tagged, b)
            }
            Op::UplinkTagged { bridge, uplink, vlans, add } => iface::uplink_tagged(bridge, uplink, vlans, *add, b),
            Op::PfLoadAnchor { anchor, rules, .. } => pf::load_anchor(anchor, rules),
            Op::PfFlushAnchor { anchor, .. } => pf::flush_anchor(anchor),
            Op::SysctlSet { name, value, .. } => pf::sysctl_set(name, value),
            Op::PfCheckConf { path } => pf::check_conf(path),
            Op::PfLoadConf { path } => pf::load_conf(path),
        }
    }

    /// True when this op's command failed because its object is already gone (destroyed by
    /// someone else, given back by the kernel, taken along by its jail): the one place that
    /// reads FreeBSD's words for "no such thing". Whether "gone" is as good as done is the
    /// caller's to say (a teardown and a crash recovery accept it; a setup does not).
    pub fn already_gone(&self, out: &Output) -> bool {
        match self {
            Op::Destroy { .. } | Op::Promisc { .. } => iface::destroy_gone(out),
            Op::Unvnet { .. } | Op::Reclaim { .. } => iface::unvnet_gone(out),
            Op::RemoveJail { .. } | Op::JailSetDevfs { .. } => jail::jail_gone(out),
            Op::DevfsUse { .. } | Op::DevfsApply { .. } => devfs::mount_gone(out),
            Op::NgShutdown { .. } => netgraph::node_gone(out),
            Op::NgScript { lines, .. } => netgraph::script_target_gone(lines, out),
            Op::PfFlushAnchor { .. } => pf::pf_gone(out),
            _ => false,
        }
    }

    /// This op as separate commands, each of which may find its object gone without the others
    /// caring: for a crash recovery that does not know how far the step got. A netgraph undo
    /// becomes one `ngctl` per inverse line; anything else is its one command.
    pub fn commands_each(&self, b: &Bindings) -> Vec<Cmd> {
        match self {
            Op::NgUndo { lines, .. } => netgraph::undo_each(lines),
            other => vec![other.command(b)],
        }
    }

    /// [`Op::already_gone`] for one of [`Op::commands_each`]'s commands.
    pub fn each_gone(&self, out: &Output) -> bool {
        match self {
            Op::NgUndo { .. } => netgraph::node_gone(out),
            other => other.already_gone(out),
        }
    }

    /// Every slot this op's output fills: the created interface of a creating command, or a
    /// script's progress and the names its `getifname` replies gave.
    pub fn read_bindings(&self, out: &Output) -> Vec<(Slot, String)> {
        match self {
            Op::NgScript { slot, lines } => ngscript::bindings(slot, lines, out),
            _ => match (self.binds(), self.read_binding(&out.stdout)) {
                (Some(s), Some(n)) => vec![(s.clone(), n)],
                _ => Vec::new(),
            },
        }
    }

    /// True when a successful run of this op bound everything later steps need.
    pub fn bindings_complete(&self, bound: &[(Slot, String)]) -> bool {
        let has = |s: &Slot| bound.iter().any(|(x, _)| x == s);
        match self {
            Op::NgScript { lines, .. } => lines.iter().filter_map(|l| l.reply.as_ref()).all(has),
            _ => self.binds().is_none_or(has),
        }
    }

    /// Whether this op changed anything, judged from what it bound: `Some(false)` for a
    /// creating command that printed no name or a script that completed no line, `None` when
    /// its output cannot tell (then only a completed run counts as a change).
    pub fn made_changes(&self, b: &Bindings) -> Option<bool> {
        match self {
            Op::NgScript { slot, lines } => {
                let done = ngscript::progress(b, slot)?;
                Some(lines.iter().take(done).any(|l| l.undo.is_some()))
            }
            _ => self.binds().map(|s| b.contains_key(s)),
        }
    }

    /// How the journal keeps what this op bound: the name itself for a creating command, a
    /// JSON object for a script.
    pub fn encode_bindings(&self, bound: &[(Slot, String)]) -> Option<String> {
        match self {
            Op::NgScript { .. } => {
                let m: BTreeMap<&str, &str> = bound.iter().map(|(s, v)| (s.0.as_str(), v.as_str())).collect();
                serde_json::to_string(&m).ok()
            }
            _ => bound.first().map(|(_, n)| n.clone()),
        }
    }

    /// Reads back what [`Op::encode_bindings`] stored.
    pub fn decode_bindings(&self, stored: &str) -> Vec<(Slot, String)> {
        match self {
            Op::NgScript { .. } => serde_json::from_str::<BTreeMap<String, String>>(stored)
                .map(|m| m.into_iter().map(|(k, v)| (Slot(k), v)).collect())
                .unwrap_or_default(),
            _ => self.binds().map(|s| vec![(s.clone(), stored.to_string())]).unwrap_or_default(),
        }
    }

    /// The slot this op fills from its command's output, if it creates something.
    pub fn binds(&self) -> Option<&Slot> {
        match self {
            Op::CreateBridge { slot, .. } | Op::CreateEpair { slot, .. } | Op::CreateNetBridge { slot, .. } => {
                Some(slot)
            }
            _ => None,
        }
    }

    /// The op that reverses this one, or `None` when a reversal is not needed because an
    /// earlier step's undo covers it: destroying an epair from its host end destroys the jail
    /// end wherever it is and drops it from its bridge (if_epair.c, if_bridge.c), so the
    /// moves, renames and memberships of an epair need no undo of their own.
    ///
    /// Addresses and routes inside the jail are undone one by one (a NIC that already existed
    /// keeps its other addresses); a DHCP lease or SLAAC flags are not (they go with the
    /// epair, and on an existing NIC they harm nothing). devfs and CBSD settings are put
    /// back to what they were.
    pub fn undo(&self) -> Option<Op> {
        match self {
            Op::CreateBridge { slot, .. } | Op::CreateEpair { slot, .. } | Op::CreateNetBridge { slot, .. } => {
                Some(Op::Destroy { iface: IfRef::Created(slot.clone()) })
            }
            Op::CreateJail { jail, .. } => Some(Op::RemoveJail { jail: jail.clone() }),
            Op::NgScript { slot, lines } => Some(Op::NgUndo { of: slot.clone(), lines: lines.clone() }),
            Op::Vnet { iface, jid, was_up, .. } => Some(Op::Unvnet { iface: iface.clone(), jid: *jid, up: *was_up }),
            Op::CreateVlan { name, .. } => Some(Op::Destroy { iface: IfRef::name(name) }),
            Op::UplinkTagged { bridge, uplink, vlans, add: true } => Some(Op::UplinkTagged {
                bridge: bridge.clone(),
                uplink: uplink.clone(),
                vlans: vlans.clone(),
                add: false,
            }),
            Op::MarkVlan { .. } | Op::VlanFilter { .. } | Op::MemberVlans { .. } | Op::UplinkTagged { .. } => None,
            Op::Promisc { iface, on: true } => Some(Op::Promisc { iface: iface.clone(), on: false }),
            Op::Promisc { on: false, .. } => None,
            Op::AddMember { .. }
            | Op::MoveToJail { .. }
            | Op::RenameInJail { .. }
            | Op::ConfigureInJail { .. }
            | Op::Destroy { .. }
            | Op::RemoveJail { .. }
            | Op::ExecInJail { .. }
            | Op::Unadopt { .. }
            | Op::Reclaim { .. }
            | Op::RenameBackInJail { .. }
            | Op::NgUndo { .. }
            | Op::NgShutdown { .. }
            | Op::Unvnet { .. }
            | Op::KldLoad { .. }
            | Op::UpInJail { .. }
            | Op::BridgeAddr { .. }
            | Op::MemberFlags { .. }
            | Op::Offload { .. }
            | Op::PfCheckConf { .. }
            | Op::PfLoadConf { .. } => None,
            Op::Adopt { iface, .. } => Some(Op::Unadopt { iface: iface.clone(), description: None }),
            Op::DevfsRuleAdd { set, new_set: true, .. } => Some(Op::DevfsDelset { set: *set }),
            Op::DevfsRuleAdd { .. } | Op::DevfsDelset { .. } => None,
            Op::DevfsUse { mount, set, prev } => Some(Op::DevfsUse { mount: mount.clone(), set: *prev, prev: *set }),
            Op::DevfsApply { mount, set, prev } if *prev != 0 => {
                Some(Op::DevfsApply { mount: mount.clone(), set: *prev, prev: *set })
            }
            Op::DevfsApply { .. } => None,
            Op::CbsdJset { jail, key, value, prev } => {
                Some(Op::CbsdJset { jail: jail.clone(), key: key.clone(), value: prev.clone(), prev: value.clone() })
            }
            Op::JailSetDevfs { jail, jid, set, prev } => {
                Some(Op::JailSetDevfs { jail: jail.clone(), jid: *jid, set: *prev, prev: *set })
            }
            Op::AddrAdd { jail, at, iface, cidr, v6 } => {
                Some(Op::AddrDel { jail: jail.clone(), at: *at, iface: iface.clone(), cidr: cidr.clone(), v6: *v6 })
            }
            Op::AddrDel { jail, at, iface, cidr, v6 } => {
                Some(Op::AddrAdd { jail: jail.clone(), at: *at, iface: iface.clone(), cidr: cidr.clone(), v6: *v6 })
            }
            Op::Slaac { .. } | Op::Dhclient { .. } | Op::RouteDelete { .. } => None,
            Op::PfLoadAnchor { anchor, rules, prev } if prev.is_empty() => {
                Some(Op::PfFlushAnchor { anchor: anchor.clone(), prev: rules.clone() })
            }
            Op::PfLoadAnchor { anchor, rules, prev } => {
                Some(Op::PfLoadAnchor { anchor: anchor.clone(), rules: prev.clone(), prev: rules.clone() })
            }
            Op::PfFlushAnchor { prev, .. } if prev.is_empty() => None,
            Op::PfFlushAnchor { anchor, prev } => {
                Some(Op::PfLoadAnchor { anchor: anchor.clone(), rules: prev.clone(), prev: String::new() })
            }
            Op::SysctlSet { name, value, prev } => {
                Some(Op::SysctlSet { name: name.clone(), value: prev.clone(), prev: value.clone() })
            }
            Op::RouteDefault { jail, jid, v6, gw, old, route_j } => Some(match old {
                Some(o) => Op::RouteDefault {
                    jail: jail.clone(),
                    jid: *jid,
                    v6: *v6,
                    gw: o.clone(),
                    old: Some(gw.clone()),
                    route_j: *route_j,
                },
                None => Op::RouteDelete { jail: jail.clone(), jid: *jid, v6: *v6, route_j: *route_j },
            }),
        }
    }

    /// True when a command that exited 0 still did not do its job: ifconfig only warns when
    /// it cannot change an interface's ND6 flags and goes on, so an IPv6 address would be
    /// added to an interface whose IPv6 stays disabled.
    pub fn failed_despite_success(&self, stderr: &str) -> bool {
        match self {
            Op::AddrAdd { v6: true, .. } | Op::Slaac { .. } => addr::nd6_flags_refused(stderr),
            _ => false,
        }
    }

    /// True for steps whose undo a crash recovery runs even without a name the kernel printed:
    /// settings that outlive the epair (devfs rulesets and mounts, CBSD's database, pf
    /// anchors, sysctls). Their undos are idempotent and put back what was found at plan
    /// time, so running one for a step that never happened is harmless.
    pub fn undo_after_crash(&self) -> bool {
        matches!(
            self,
            Op::DevfsRuleAdd { new_set: true, .. }
                | Op::DevfsUse { .. }
                | Op::DevfsApply { .. }
                | Op::CbsdJset { .. }
                | Op::JailSetDevfs { .. }
                | Op::PfLoadAnchor { .. }
                | Op::PfFlushAnchor { .. }
                | Op::SysctlSet { .. }
                | Op::Promisc { on: true, .. }
        )
    }

    /// The kernel's name for what a creating command printed, checked against what that
    /// command can print (a garbled line must never become an argument to `destroy`).
    pub fn read_binding(&self, stdout: &str) -> Option<String> {
        match self {
            Op::CreateBridge { .. } | Op::CreateNetBridge { .. } => iface::read_created("bridge", stdout),
            Op::CreateEpair { .. } => iface::read_created("epair", stdout),
            _ => None,
        }
    }

    /// The description that marks what this op creates, so it can be found after a crash
    /// that lost the printed name.
    pub fn marker(&self) -> Option<String> {
        match self {
            Op::CreateBridge { uplink, .. } | Op::CreateNetBridge { uplink, .. } => Some(bridge_marker(uplink)),
            Op::CreateEpair { jail, nic, .. } => Some(epair_marker(jail, nic)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jail() -> JailName {
        JailName::parse("web1").unwrap()
    }

    #[test]
    fn commands_render_with_variables_until_bound() {
        let s = Slot("eth0_a".into());
        let op = Op::MoveToJail { iface: IfRef::Peer(s.clone()), mtu: 1500, jail: jail(), jid: 3 };
        let mut b = Bindings::new();
        assert_eq!(op.command(&b).script_line(), "ifconfig $eth0_b mtu 1500 vnet 3");
        b.insert(s.clone(), "epair7a".into());
        assert_eq!(op.command(&b).script_line(), "ifconfig epair7b mtu 1500 vnet 3");
        let op = Op::RenameInJail {
            jail: jail(),
            at: InJail { jid: 3, via_jexec: false },
            iface: IfRef::Peer(s),
            mac: Mac::parse("02:00:00:00:00:01").unwrap(),
            name: IfName::parse("eth0").unwrap(),
        };
        assert_eq!(op.command(&b).script_line(), "ifconfig -j 3 epair7b ether 02:00:00:00:00:01 name eth0 up");
    }

    #[test]
    fn journals_of_earlier_versions_still_read_and_linux_ops_render() {
        // AddrAdd journalled when its interface was a plain name.
        let old =
            r#"{"AddrAdd":{"jail":"web1","jid":3,"iface":"eth0","cidr":"10.0.0.5/24","v6":false,"via_jexec":false}}"#;
        let op: Op = serde_json::from_str(old).unwrap();
        assert_eq!(op.command(&Bindings::new()).script_line(), "ifconfig -j 3 eth0 inet 10.0.0.5/24 alias");
        let old = r#"{"RouteDefault":{"jail":"web1","jid":3,"v6":false,"gw":"10.0.0.1","old":null}}"#;
        let op: Op = serde_json::from_str(old).unwrap();
        assert_eq!(op.command(&Bindings::new()).script_line(), "jexec 3 route add default 10.0.0.1");
        // The new forms round-trip.
        let s = Slot("eth0_a".into());
        let op = Op::AddrAdd {
            jail: jail(),
            at: InJail { jid: 3, via_jexec: false },
            iface: IfRef::Peer(s.clone()),
            cidr: "10.0.0.5/24".into(),
            v6: false,
        };
        let back: Op = serde_json::from_str(&serde_json::to_string(&op).unwrap()).unwrap();
        assert_eq!(back, op);
        let mut b = Bindings::new();
        b.insert(s.clone(), "epair7a".into());
        assert_eq!(op.command(&b).script_line(), "ifconfig -j 3 epair7b inet 10.0.0.5/24 alias");
        let cfg = Op::ConfigureInJail {
            jail: jail(),
            jid: 3,
            iface: IfRef::Peer(s),
            mac: Mac::parse("02:00:00:00:00:01").unwrap(),
        };
        assert_eq!(cfg.command(&b).script_line(), "ifconfig -j 3 epair7b ether 02:00:00:00:00:01 up");
        let r =
            Op::RouteDefault { jail: jail(), jid: 3, v6: true, gw: "fe80::1%epair7b".into(), old: None, route_j: true };
        assert_eq!(r.command(&b).script_line(), "route -j 3 add -inet6 default fe80::1%epair7b");
        assert_eq!(r.undo().unwrap().command(&b).script_line(), "route -j 3 delete -inet6 default");
    }

    #[test]
    fn the_shared_in_jail_target_keeps_the_journal_form() {
        // Written by the version whose in-jail ops each had their own `jid` and `via_jexec`.
        for old in [
            r#"{"RenameInJail":{"jail":"web1","jid":3,"iface":{"Peer":"eth0_a"},"mac":"02:00:00:00:00:01","name":"eth0","via_jexec":true}}"#,
            r#"{"RenameBackInJail":{"jid":3,"from":"eth0","to":"epair7b","via_jexec":false}}"#,
            r#"{"UpInJail":{"jid":3,"iface":"em1","via_jexec":true}}"#,
            r#"{"AddrDel":{"jail":"web1","jid":3,"iface":{"Name":"eth0"},"cidr":"10.0.0.5/24","v6":true,"via_jexec":false}}"#,
            r#"{"Slaac":{"jail":"web1","jid":3,"iface":"eth0","via_jexec":true}}"#,
        ] {
            let op: Op = serde_json::from_str(old).unwrap();
            let v: serde_json::Value = serde_json::to_value(&op).unwrap();
            assert_eq!(v, serde_json::from_str::<serde_json::Value>(old).unwrap(), "{old}");
        }
        let up: Op = serde_json::from_str(r#"{"UpInJail":{"jid":3,"iface":"em1","via_jexec":true}}"#).unwrap();
        assert_eq!(up.command(&Bindings::new()).script_line(), "jexec 3 ifconfig em1 up");
    }

    #[test]
    fn only_well_formed_kernel_names_are_bound() {
        let op =
            Op::CreateEpair { slot: Slot("x".into()), jail: jail(), nic: IfName::parse("eth0").unwrap(), mtu: 1500 };
        assert_eq!(op.read_binding("epair12a\n").as_deref(), Some("epair12a"));
        assert_eq!(op.read_binding("epair12b\n"), None);
        assert_eq!(op.read_binding("em0\n"), None);
        assert_eq!(op.read_binding(""), None);
        let br = Op::CreateBridge { slot: Slot("b".into()), uplink: "em0".into() };
        assert_eq!(br.read_binding("bridge3\n").as_deref(), Some("bridge3"));
        assert_eq!(br.read_binding("bridge\n"), None);
    }

    #[test]
    fn pf_and_sysctl_ops_render_undo_to_what_was_found_and_round_trip_the_journal() {
        let b = Bindings::new();
        let load = Op::PfLoadAnchor {
            anchor: "vimage/jails".into(),
            rules: "nat on em0 inet from 10.77.0.0/24 to any -> (em0)\n".into(),
            prev: String::new(),
        };
        assert_eq!(
            load.command(&b).to_string(),
            "pfctl -a vimage/jails -f - <<'EOF'\nnat on em0 inet from 10.77.0.0/24 to any -> (em0)\nEOF"
        );
        let undo = load.undo().unwrap();
        assert_eq!(undo.command(&b).to_string(), "pfctl -a vimage/jails -F all");
        assert!(undo.undo().is_some(), "a flush that emptied something can put it back");
        let reload = Op::PfLoadAnchor { anchor: "vimage/jails".into(), rules: "a\n".into(), prev: "b\n".into() };
        assert_eq!(
            reload.undo(),
            Some(Op::PfLoadAnchor { anchor: "vimage/jails".into(), rules: "b\n".into(), prev: "a\n".into() })
        );
        let fw = Op::SysctlSet { name: "net.inet.ip.forwarding".into(), value: "1".into(), prev: "0".into() };
        assert_eq!(fw.command(&b).to_string(), "sysctl net.inet.ip.forwarding=1");
        assert_eq!(fw.undo().unwrap().command(&b).to_string(), "sysctl net.inet.ip.forwarding=0");
        for op in [load, undo, reload, fw] {
            let back: Op = serde_json::from_str(&serde_json::to_string(&op).unwrap()).unwrap();
            assert_eq!(back, op);
            assert!(op.undo_after_crash());
        }
        let gone =
            Output { code: 1, stdout: String::new(), stderr: "pfctl: /dev/pf: No such file or directory\n".into() };
        assert!(Op::PfFlushAnchor { anchor: "vimage/x".into(), prev: String::new() }.already_gone(&gone));
    }

    #[test]
    fn creations_undo_by_destroy_and_the_rest_is_covered() {
        let op = Op::CreateBridge { slot: Slot("b".into()), uplink: "em0".into() };
        assert_eq!(op.undo(), Some(Op::Destroy { iface: IfRef::Created(Slot("b".into())) }));
        let add = Op::AddMember { bridge: IfRef::name("bridge0"), member: IfRef::name("epair0a") };
        assert_eq!(add.undo(), None);
    }
}
