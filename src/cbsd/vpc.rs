//! CBSD's VPC (`cbsd vpc`): its multi-node L2 overlay, as a jail's NIC meets it.
//!
//! A `jailnic` row whose `nic_parent` is `vpc-NAME` joins VPC NAME's bridge. CBSD's jstart
//! (sudoexec/jstart, `case "${nic_parent}" in vpc-*)`) refuses the NIC unless
//! `${dbdir}/vpc/NAME.sqlite` is readable ("VPC not exist"), then takes the bridge from
//! `get_my_device vpc vpc-NAME` (subr/vnet.subr): among `ifconfig -g bridge`, the one whose
//! uplink as `get_device_uplink` reads it — a member named `vpc-NAME`, else the first word of
//! the bridge's description — is `vpc-NAME`. `cbsd vpc vpc_name=NAME mode=init_bridge` made
//! that bridge (`ifconfig bridgeN create description vpc-NAME`, then `addm vxlanI private
//! vxlanI up` for each vxlan(4) tunnel `mode=init_vxlan` made to the other nodes, MTU 1450).
//!
//! vimage does the same lookup but never creates or changes the VPC's bridge (where CBSD's
//! get_my_device would create one): the VPC is CBSD's, so a missing bridge is refused with
//! CBSD's own commands that make it. Pure: the caller reads the database's presence and the
//! host's interfaces.

use super::Workdir;
use crate::parse::ifconfig::IfStatus;
use std::path::PathBuf;

/// `nic_parent` prefix CBSD's jstart reads as a VPC.
pub const PREFIX: &str = "vpc-";

/// The VPC's name when `parent` names one (`vpc-NAME` → `NAME`).
pub fn vpc_name(parent: &str) -> Option<&str> {
    parent.strip_prefix(PREFIX).filter(|n| !n.is_empty())
}

/// `${dbdir}/vpc/NAME.sqlite` (sudoexec/vpc: `VPC_ROOT_DIR="${dbdir}/vpc"`).
pub fn db_path(wd: &Workdir, name: &str) -> PathBuf {
    wd.dbdir().join("vpc").join(format!("{name}.sqlite"))
}

/// What the host says about one VPC a NIC names, gathered before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcFact {
    /// The VPC's database, `${dbdir}/vpc/NAME.sqlite`.
    pub db: PathBuf,
    /// The database can be opened for reading (jstart's `[ ! -r ${_dbpath} ]`).
    pub readable: bool,
}

/// subr/vnet.subr `get_device_uplink BRIDGE vpc-NAME`: the bridge has a member named like
/// the uplink, else the first word of its description (`awk '/description:/{print $2}'`).
pub fn is_vpc_bridge(b: &IfStatus, parent: &str) -> bool {
    b.is_bridge()
        && (b.members.iter().any(|m| m == parent)
            || b.description.as_deref().and_then(|d| d.split_whitespace().next()) == Some(parent))
}

/// The commands that make VPC `name`'s bridge on this node (sudoexec/vpc's help, steps e–g),
/// for a refusal.
pub fn bridge_fix(name: &str) -> [String; 3] {
    [
        format!("cbsd vpc vpc_name={name} mode=init_vxlan"),
        format!("cbsd vpc vpc_name={name} mode=init_bridge"),
        format!("cbsd vpc vpc_name={name} mode=init_rc   (makes both again at every boot)"),
    ]
}

/// The commands that create VPC `name` (sudoexec/vpc's help, steps a–c), for a refusal.
pub fn create_fix(name: &str) -> [String; 3] {
    [
        format!("cbsd vpc mode=init node_member=all peer_network=<net/len> vpc_name={name}   (on every node)"),
        format!("cbsd vpc vpc_name={name} mode=init_peers && cbsd vpc vpc_name={name} mode=sync"),
        format!("or all at once: cbsd vpc vpc_name={name} mode=deploy"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bridge(name: &str, descr: Option<&str>, members: &[&str]) -> IfStatus {
        IfStatus {
            name: name.into(),
            description: descr.map(String::from),
            groups: vec!["bridge".into()],
            members: members.iter().map(|m| m.to_string()).collect(),
            ..IfStatus::default()
        }
    }

    #[test]
    fn a_vpc_parent_is_vpc_dash_name_as_jstart_cuts_it() {
        assert_eq!(vpc_name("vpc-vpc1"), Some("vpc1"));
        assert_eq!(vpc_name("vpc-"), None);
        assert_eq!(vpc_name("em0"), None);
        assert_eq!(db_path(&Workdir::new("/usr/jails"), "vpc1"), PathBuf::from("/usr/jails/var/db/vpc/vpc1.sqlite"));
    }

    #[test]
    fn the_vpc_bridge_is_found_as_get_device_uplink_reads_it() {
        assert!(is_vpc_bridge(&bridge("bridge1", Some("vpc-vpc1"), &["vxlan1"]), "vpc-vpc1"));
        assert!(is_vpc_bridge(&bridge("bridge1", Some("vpc-vpc1 extra words"), &[]), "vpc-vpc1"), "awk's $2");
        assert!(!is_vpc_bridge(&bridge("bridge1", Some("vpc-vpc10"), &[]), "vpc-vpc1"));
        assert!(!is_vpc_bridge(&bridge("bridge1", None, &["em0"]), "vpc-vpc1"));
        let mut not_bridge = bridge("epair0a", Some("vpc-vpc1"), &[]);
        not_bridge.groups = vec!["epair".into()];
        assert!(!is_vpc_bridge(&not_bridge, "vpc-vpc1"), "only `ifconfig -g bridge`");
    }
}
