//! Defaults of the wizard's answers, from CBSD's `nc.inventory` when there is one.
//!
//! A jail made on a CBSD node should look like the node's other jails without the admin
//! typing what CBSD already knows: the node's domain, its NICs, the uplink CBSD uses for
//! jails. Off CBSD the defaults are CBSD's own (`my.domain`, `auto`).

use crate::cbsd::Inventory;
use crate::model::{IfName, JailName, Uplink};

/// CBSD's `default_domain` in jail-freebsd-default.conf, used when the node has no domain.
pub const FALLBACK_DOMAIN: &str = "my.domain";

/// devfsrules_jail_vnet, FreeBSD's ruleset for vnet jails (/etc/defaults/devfs.rules).
pub const DEFAULT_DEVFS_RULESET: u16 = 5;

/// What an unanswered question defaults to, and what the uplink menu offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// Domain for `host_hostname = <jname>.<domain>`.
    pub domain: String,
    /// The host's NICs as CBSD saw them (valid interface names only).
    pub nics: Vec<String>,
    /// The default uplink: the inventory's `jail_interface`, else `auto`.
    pub uplink: Uplink,
    /// The ruleset of the jail's /dev when `devfs_ruleset=` is not answered (5, FreeBSD's
    /// `devfsrules_jail_vnet`).
    pub devfs_ruleset: u16,
}

impl Default for Defaults {
    fn default() -> Defaults {
        Defaults {
            domain: FALLBACK_DOMAIN.into(),
            nics: Vec::new(),
            uplink: Uplink::Auto,
            devfs_ruleset: DEFAULT_DEVFS_RULESET,
        }
    }
}

impl Defaults {
    /// Defaults from an inventory: domain = `nodename` without its first label (CBSD's
    /// nodename is normally the host's FQDN), else `hostname`'s, else [`FALLBACK_DOMAIN`];
    /// NICs from `nics`; the uplink from `jail_interface` (`0`/`auto`/unusable → `auto`).
    /// Damaged or odd values are skipped, never an error: these are only suggestions.
    pub fn from_inventory(inv: &Inventory) -> Defaults {
        let domain = ["nodename", "hostname"]
            .iter()
            .filter_map(|k| inv.get(k))
            .find_map(domain_of)
            .unwrap_or_else(|| FALLBACK_DOMAIN.to_string());
        let nics = inv.nics().into_iter().filter(|n| IfName::parse(n).is_ok()).map(str::to_string).collect();
        let uplink = inv.get("jail_interface").and_then(|v| Uplink::parse(v.trim()).ok()).unwrap_or(Uplink::Auto);
        Defaults { domain, nics, uplink, ..Defaults::default() }
    }

    /// `<jname>.<domain>`.
    pub fn hostname_for(&self, jname: &JailName) -> String {
        format!("{jname}.{}", self.domain)
    }

    /// The uplink menu: `auto`, the inventory's NICs, and the default uplink if it is none
    /// of those (a VLAN or bridge named in `jail_interface`); the default's position second.
    pub fn uplink_choices(&self) -> (Vec<String>, usize) {
        let mut v = vec!["auto".to_string()];
        for n in &self.nics {
            if !v.contains(n) {
                v.push(n.clone());
            }
        }
        let def = self.uplink.to_string();
        if !v.contains(&def) {
            v.push(def.clone());
        }
        let at = v.iter().position(|c| *c == def).unwrap_or(0);
        (v, at)
    }
}

/// The domain part of a FQDN, if it is a usable host name.
fn domain_of(fqdn: &str) -> Option<String> {
    let (_, dom) = fqdn.trim().split_once('.')?;
    super::validate::hostname(dom).ok().map(|h| h.as_str().to_string())
}
