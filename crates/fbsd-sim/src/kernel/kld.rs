//! Kernel modules (sys/kern/kern_linker.c as kldload/kldstat see it).

use super::Kernel;
use super::cred::Ctx;
use super::types::IfId;
use crate::Errno;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Modules the simulated host can load (`/boot/kernel/*.ko`), with their dependencies.
pub const AVAILABLE_MODULES: &[(&str, &[&str])] = &[
    ("if_epair", &[]),
    ("bridgestp", &[]),
    ("if_bridge", &["bridgestp"]),
    ("netgraph", &[]),
    ("ng_socket", &["netgraph"]),
    ("ng_ether", &["netgraph"]),
    ("ng_bridge", &["netgraph"]),
    ("ng_eiface", &["netgraph"]),
    ("ng_iface", &["netgraph"]),
    ("pf", &[]),
];

/// Modules compiled into the simulated kernel, as GENERIC has them (sys/amd64/conf/GENERIC
/// `device vlan`): `modfind` finds them in the kernel file itself, so `kldstat -q -m if_vlan`
/// succeeds and `kldload if_vlan` is EEXIST (kern_linker.c `linker_load_module`: the module
/// is already registered), which `kldload -n` takes as done.
pub const COMPILED_IN: &[&str] = &["if_vlan"];

/// What `kldstat -m` reports for a module of [`COMPILED_IN`]: it lives in file 1, the kernel.
static IN_KERNEL: LoadedFile = LoadedFile { fileid: 1, modid: 1, refs: 1, size: 0, address: 0 };
/// Modules of [`AVAILABLE_MODULES`] a stock host does not load at boot: pf is loaded by
/// rc.d/pf only with `pf_enable="YES"` (or `kldload pf`), so a fresh host has no `/dev/pf`.
pub const NOT_AT_BOOT: &[&str] = &["pf"];

/// One loaded module file (`NAME.ko`, containing the module `NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedFile {
    /// The file ID `kldstat` prints in its `Id` column.
    pub fileid: u32,
    /// The module ID `kldstat -m` prints.
    pub modid: u32,
    /// The reference count `kldstat` prints.
    pub refs: u32,
    /// Its size in bytes, as `kldstat` prints it.
    pub size: u64,
    /// Its load address, as `kldstat` prints it.
    pub address: u64,
}

/// The loaded module files, by module name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modules {
    /// Module name → its file: what `kldstat -m` and `kldload -n` look up.
    pub loaded: BTreeMap<String, LoadedFile>,
    /// The file ID the next `kldload` hands out.
    pub next_fileid: u32,
}

impl Modules {
    /// True when module `m` is loaded.
    pub fn is_loaded(&self, m: &str) -> bool {
        self.loaded.contains_key(m)
    }

    /// Names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.loaded.keys().cloned().collect()
    }

    /// Loads without checks (fixtures and the dependency chain).
    pub fn force_load(&mut self, m: &str) {
        if self.loaded.contains_key(m) {
            return;
        }
        if self.next_fileid < 2 {
            self.next_fileid = 2; // id 1 is the kernel
        }
        let fileid = self.next_fileid;
        self.next_fileid += 1;
        let size = 0x2000 + (u64::from(fileid) * 0x1337) % 0x30000;
        self.loaded.insert(
            m.to_string(),
            LoadedFile {
                fileid,
                modid: 500 + fileid,
                refs: 1,
                size,
                address: 0xffff_ffff_8290_0000 + u64::from(fileid) * 0x40000,
            },
        );
    }

    /// Unloads without checks.
    pub fn force_unload(&mut self, m: &str) {
        self.loaded.remove(m);
    }
}

/// `if_bridge`, `if_bridge.ko` or `/boot/kernel/if_bridge.ko` → `if_bridge`.
pub fn module_name(arg: &str) -> &str {
    let base = arg.rsplit('/').next().unwrap_or(arg);
    base.strip_suffix(".ko").unwrap_or(base)
}

impl Kernel {
    /// `kldload(2)`: EEXIST when loaded, ENOENT when no such module file, EPERM in a jail.
    /// Dependencies are loaded first. Returns the file id.
    pub(crate) fn kld_load(&mut self, ctx: Ctx, arg: &str) -> Result<u32, Errno> {
        self.begin_op()?;
        if ctx.jailed() {
            return Err(Errno::EPERM);
        }
        let m = module_name(arg);
        if self.modules.is_loaded(m) || COMPILED_IN.contains(&m) {
            return Err(Errno::EEXIST);
        }
        let deps = AVAILABLE_MODULES.iter().find(|(n, _)| *n == m).map(|(_, d)| *d).ok_or(Errno::ENOENT)?;
        for d in deps {
            self.modules.force_load(d);
        }
        self.modules.force_load(m);
        if m == "ng_ether" {
            self.ng_ether_attach_all();
        }
        Ok(self.modules.loaded.get(m).map_or(0, |f| f.fileid))
    }

    /// `kldunloadf(2)` of the file holding module `m` (kern_linker.c `kern_kldunload`):
    /// EPERM in a jail (`priv_check(PRIV_KLD_UNLOAD)`), ENOENT when not loaded, EBUSY while
    /// another loaded file depends on it (`linker_file_unload`: the file is referenced) or,
    /// for a netgraph type, while nodes of it exist (ng_base.c `ng_mod_event` MOD_UNLOAD:
    /// `type->refs > 1`; ng_ether.c: "the base code won't try to unload us until all nodes
    /// have been removed"). Unloading if_epair or if_bridge destroys every interface of the
    /// cloner in every vnet (`vnet_epair_uninit` / `vnet_bridge_uninit` → `ifc_detach_cloner`).
    pub(crate) fn kld_unload(&mut self, ctx: Ctx, m: &str) -> Result<(), Errno> {
        self.begin_op()?;
        if ctx.jailed() {
            return Err(Errno::EPERM);
        }
        if !self.modules.is_loaded(m) {
            return Err(Errno::ENOENT);
        }
        let needed = AVAILABLE_MODULES.iter().any(|(n, deps)| self.modules.is_loaded(n) && deps.contains(&m));
        if needed {
            return Err(Errno::EBUSY);
        }
        if let Some(t) = m.strip_prefix("ng_") {
            let in_use = self.vnets.values().any(|vn| vn.netgraph.nodes.values().any(|n| n.kind.type_name() == t));
            if in_use && t != "socket" {
                return Err(Errno::EBUSY);
            }
        }
        let cloner = match m {
            "if_epair" => Some("epair"),
            "if_bridge" => Some("bridge"),
            _ => None,
        };
        if let Some(c) = cloner {
            let doomed: Vec<IfId> = self
                .vnets
                .values()
                .flat_map(|vn| vn.by_link.values().copied())
                .filter(|id| self.ifp(*id).is_some_and(|i| i.dname == c))
                .collect();
            for id in doomed {
                let Some((home, unit)) = self.ifp(id).map(|i| (i.home, i.unit)) else { continue };
                self.destroy_now(id);
                if let Some(u) = unit {
                    self.release_unit_pub(home, c, u);
                }
            }
        }
        self.modules.force_unload(m);
        if m == "pf" {
            self.pf_unload_all();
        }
        Ok(())
    }

    /// Loaded module files in file-id order, with their module names.
    pub(crate) fn kld_files(&self) -> Vec<(&str, &LoadedFile)> {
        let mut v: Vec<_> = self.modules.loaded.iter().map(|(n, f)| (n.as_str(), f)).collect();
        v.sort_by_key(|(_, f)| f.fileid);
        v
    }

    /// A loaded module by name (`modfind`).
    pub(crate) fn kld_find(&self, m: &str) -> Option<&LoadedFile> {
        self.modules.loaded.get(m).or_else(|| COMPILED_IN.contains(&m).then_some(&IN_KERNEL))
    }

    /// True when module `m` is loaded (or compiled in).
    pub(crate) fn module_loaded(&self, m: &str) -> bool {
        self.modules.is_loaded(m) || COMPILED_IN.contains(&m)
    }
}
