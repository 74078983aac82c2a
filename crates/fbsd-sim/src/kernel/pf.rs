//! pf(4), as far as private jail networks need it: whether it is running, the main ruleset and
//! the anchors below it, each holding its rules already in the text `pfctl -s` prints them in.
//!
//! State is per vnet (sys/netpfil/pf/pf_ioctl.c keeps `V_pf_status` and `V_pf_main_ruleset`
//! per vnet) and exists only while the pf module is loaded: `/dev/pf` is made by
//! `pf_load` (pf_ioctl.c `make_dev(&pf_cdevsw, 0, 0, 0, 0600, PF_NAME)`), so without the
//! module there is no device and pfctl's `open("/dev/pf")` fails with ENOENT; unloading it
//! throws every ruleset away (`pf_unload` → `pf_unload_vnet`).
//!
//! A load replaces all of one ruleset's kinds at once (pfctl.c `pfctl_rules` opens one
//! transaction, `DIOCXBEGIN` … `DIOCXCOMMIT`, for nat, rdr, scrub and filter), so a failed
//! load changes nothing; the caller parses first and commits only a whole ruleset.

use super::Kernel;
use super::cred::Ctx;
use crate::Errno;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One ruleset (the main one or an anchor's): rules by kind, each as `pfctl -s` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ruleset {
    /// `scrub` rules (PF_RULESET_SCRUB), shown first by `pfctl -s rules`.
    pub scrub: Vec<String>,
    /// `nat` and `nat-anchor` rules (PF_RULESET_NAT).
    pub nat: Vec<String>,
    /// `rdr` and `rdr-anchor` rules (PF_RULESET_RDR).
    pub rdr: Vec<String>,
    /// `pass`, `block` and `anchor` rules (PF_RULESET_FILTER).
    pub filter: Vec<String>,
}

impl Ruleset {
    /// True when it holds no rule at all (pf.c `pf_remove_if_empty_kruleset` removes such an
    /// anchor).
    pub fn is_empty(&self) -> bool {
        self.scrub.is_empty() && self.nat.is_empty() && self.rdr.is_empty() && self.filter.is_empty()
    }
}

/// One vnet's pf.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pf {
    /// `pfctl -e` ran (`V_pf_status.running`).
    pub running: bool,
    /// The main ruleset (`pfctl -f /etc/pf.conf`).
    pub main: Ruleset,
    /// The `set skip on` interfaces of the main ruleset.
    pub skip: Vec<String>,
    /// Anchors by path (`vimage/jails`); only non-empty ones are kept.
    pub anchors: BTreeMap<String, Ruleset>,
}

impl Pf {
    /// The ruleset at `anchor` (`""`: the main one), if any.
    pub fn ruleset(&self, anchor: &str) -> Option<&Ruleset> {
        if anchor.is_empty() { Some(&self.main) } else { self.anchors.get(anchor) }
    }

    /// Anchors directly below `parent` (`""`: the top level), as `pfctl -s Anchors` lists them
    /// (pfctl.c `pfctl_show_anchors`, `DIOCGETRULESETS`): an anchor exists while it holds
    /// rules, has children, or a wildcard rule (`anchor "vimage/*"`) in the main ruleset
    /// refers to it (parse.y's `anchorrule` makes the ruleset `vimage` when it loads).
    pub fn children(&self, parent: &str) -> Vec<String> {
        let mut all: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for path in self.anchors.keys() {
            let mut acc = String::new();
            for part in path.split('/') {
                if !acc.is_empty() {
                    acc.push('/');
                }
                acc.push_str(part);
                all.insert(acc.clone());
            }
        }
        let main = &self.main;
        for r in main.nat.iter().chain(&main.rdr).chain(&main.filter) {
            if let Some(name) = referenced_anchor(r) {
                let base = name.strip_suffix("/*").unwrap_or(name);
                all.insert(base.to_string());
            }
        }
        all.into_iter()
            .filter(|a| match a.rsplit_once('/') {
                Some((p, _)) => p == parent,
                None => parent.is_empty(),
            })
            .collect()
    }
}

/// The anchor a printed `anchor`, `nat-anchor` or `rdr-anchor` rule names.
pub fn referenced_anchor(rule: &str) -> Option<&str> {
    let rest = ["anchor \"", "nat-anchor \"", "rdr-anchor \""].iter().find_map(|p| rule.strip_prefix(p))?;
    rest.split('"').next()
}

impl Kernel {
    /// `open("/dev/pf")` as the process `ctx`: ENOENT without the pf module, and in a jail
    /// (devfs ruleset 4, `devfsrules_jail`, hides `pf`; the simulator gives no jail pf).
    pub(crate) fn pf_open(&self, ctx: Ctx) -> Result<&Pf, Errno> {
        if !self.module_loaded("pf") || ctx.jailed() {
            return Err(Errno::ENOENT);
        }
        self.vnet(ctx.vnet).map(|v| &v.pf).ok_or(Errno::ENOENT)
    }

    /// `DIOCSTART` / `DIOCSTOP` (pf_ioctl.c): EEXIST when already running, ENOENT when
    /// stopping a pf that is not.
    pub(crate) fn pf_set_running(&mut self, ctx: Ctx, on: bool) -> Result<(), Errno> {
        self.pf_open(ctx)?;
        self.begin_op()?;
        let pf = &mut self.vnet_mut(ctx.vnet).ok_or(Errno::ENOENT)?.pf;
        match (pf.running, on) {
            (true, true) => Err(Errno::EEXIST),
            (false, false) => Err(Errno::ENOENT),
            _ => {
                pf.running = on;
                Ok(())
            }
        }
    }

    /// Commits a whole ruleset at `anchor` (`""`: main, with its `set skip` list), replacing
    /// every kind it had: one pfctl transaction.
    pub(crate) fn pf_commit(
        &mut self,
        ctx: Ctx,
        anchor: &str,
        rules: Ruleset,
        skip: Option<Vec<String>>,
    ) -> Result<(), Errno> {
        self.pf_open(ctx)?;
        self.begin_op()?;
        let pf = &mut self.vnet_mut(ctx.vnet).ok_or(Errno::ENOENT)?.pf;
        if anchor.is_empty() {
            pf.main = rules;
            if let Some(s) = skip {
                pf.skip = s;
            }
        } else if rules.is_empty() {
            pf.anchors.remove(anchor);
        } else {
            pf.anchors.insert(anchor.to_string(), rules);
        }
        Ok(())
    }

    /// The host's pf, for tests (`None` without the module).
    pub fn host_pf(&self) -> Option<&Pf> {
        self.pf_open(Ctx::HOST).ok()
    }

    /// Forgets every vnet's pf (the module was unloaded).
    pub(crate) fn pf_unload_all(&mut self) {
        for vn in self.vnets.values_mut() {
            vn.pf = Pf::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_exist_by_rules_children_or_a_wildcard_reference_pfctl_show_anchors() {
        let mut pf = Pf::default();
        assert!(pf.children("").is_empty());
        pf.main.nat.push("nat-anchor \"vimage/*\" all".into());
        assert_eq!(pf.children(""), ["vimage"]);
        assert!(pf.children("vimage").is_empty());
        pf.anchors.insert("vimage/jails".into(), Ruleset { nat: vec!["x".into()], ..Ruleset::default() });
        assert_eq!(pf.children("vimage"), ["vimage/jails"]);
        assert_eq!(pf.children(""), ["vimage"]);
    }

    #[test]
    fn dev_pf_exists_only_with_the_module_pf_ioctl_c_pf_load() {
        let mut k = Kernel::freebsd14();
        assert_eq!(k.pf_open(Ctx::HOST).err(), Some(Errno::ENOENT));
        k.load_module("pf");
        assert!(k.pf_open(Ctx::HOST).is_ok());
        k.pf_set_running(Ctx::HOST, true).unwrap();
        assert_eq!(k.pf_set_running(Ctx::HOST, true), Err(Errno::EEXIST));
        k.unload_module("pf");
        k.load_module("pf");
        assert!(!k.host_pf().unwrap().running, "a reloaded pf starts stopped and empty");
    }
}
