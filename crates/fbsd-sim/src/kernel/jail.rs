//! Jails (sys/kern/kern_jail.c): creation with or without their own vnet, lookup by name or
//! JID, and removal — which returns borrowed interfaces home and destroys the ones created
//! inside (`vnet_if_return`, cloner detach).

use super::Kernel;
use super::cred::Ctx;
use super::types::VnetId;
use super::vnet::Vnet;
use crate::Errno;
use serde::{Deserialize, Serialize};

/// `JAIL_MAX` (sys/jail.h): the largest JID before wrapping.
const JAIL_MAX: u32 = 999_999;

/// The static `allow.*` jail parameters of sys/kern/kern_jail.c (`pr_flag_allow`, 14.x;
/// `allow.suser` is new in 14), each a boolean with an `allow.noX` form. The dynamic ones
/// (`allow.mount.<fs>` from `prison_add_vfs`, `allow.vmm`, …) depend on loaded modules and are
/// not modelled.
pub const ALLOW_PARAMS: &[&str] = &[
    "allow.set_hostname",
    "allow.sysvipc",
    "allow.raw_sockets",
    "allow.chflags",
    "allow.mount",
    "allow.quotas",
    "allow.socket_af",
    "allow.mlock",
    "allow.reserved_ports",
    "allow.read_msgbuf",
    "allow.unprivileged_proc_debug",
    "allow.suser",
];

/// `JAIL_DEFAULT_ALLOW` (kern_jail.c): what a new jail may do unless told otherwise.
pub const DEFAULT_ALLOW: &[&str] =
    &["allow.set_hostname", "allow.reserved_ports", "allow.unprivileged_proc_debug", "allow.suser"];

fn default_allow() -> std::collections::BTreeSet<String> {
    DEFAULT_ALLOW.iter().map(|s| s.to_string()).collect()
}

/// One jail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jail {
    /// The JID, which ops address the jail by.
    pub jid: u32,
    /// Its unique name, which `jls -j` and `jexec` accept too.
    pub name: String,
    /// Its root directory, under which its /dev is mounted.
    pub path: String,
    /// `host.hostname`.
    pub hostname: String,
    /// Its own vnet (`vnet=new`), or `None` (`vnet=inherit`).
    pub vnet: Option<VnetId>,
    /// `persist`: it lives without processes, as vnet jails made by the service do.
    pub persist: bool,
    /// Being removed (`jls -d`): lookups by name or JID no longer find it.
    pub dying: bool,
    /// The `devfs_ruleset` jail parameter (0 = none enforced).
    #[serde(default)]
    pub devfs_ruleset: u16,
    /// jail(8) mounted devfs on `<path>/dev` (`mount.devfs`).
    #[serde(default)]
    pub mount_devfs: bool,
    /// The `allow.*` permissions that are on ([`ALLOW_PARAMS`] names).
    #[serde(default = "default_allow")]
    pub allow: std::collections::BTreeSet<String>,
}

/// What `jail -c` asks the kernel for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JailSpec {
    /// `name=`.
    pub name: String,
    /// `path=`.
    pub path: String,
    /// `host.hostname=`; `None` inherits the host's.
    pub hostname: Option<String>,
    /// `vnet` (`vnet=new`): its own network stack.
    pub vnet: bool,
    /// `persist`: keep it without processes.
    pub persist: bool,
    /// `jid=`: a fixed JID; `None` takes the next free one.
    pub jid: Option<u32>,
    /// The `devfs_ruleset` parameter.
    pub devfs_ruleset: Option<u16>,
    /// `mount.devfs`: jail(8) mounts devfs on `<path>/dev` with `devfs_ruleset`, "or a
    /// default of ruleset 4" (jail(8)).
    pub mount_devfs: bool,
    /// `allow.X` (true) and `allow.noX` (false) given at creation, over [`DEFAULT_ALLOW`].
    pub allow: Vec<(String, bool)>,
}

/// A refused `jail_set`: the errno and the kernel's `errmsg` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JailError {
    /// The errno jail(2) fails with.
    pub errno: Errno,
    /// The kernel's `errmsg`, which jail(8) prints.
    pub msg: String,
}

impl JailError {
    fn new(errno: Errno, msg: impl Into<String>) -> JailError {
        JailError { errno, msg: msg.into() }
    }
}

impl Kernel {
    /// `jail_set(JAIL_CREATE)`. Refuses: a numeric name other than the JID (EINVAL), a
    /// hierarchical name (no nested jails here: ENOENT), a name or JID in use (EEXIST),
    /// `vnet` on a kernel without VIMAGE (ENOENT, "unknown parameter").
    pub(crate) fn jail_create(&mut self, ctx: Ctx, spec: &JailSpec) -> Result<u32, JailError> {
        self.begin_op().map_err(|e| JailError::new(e, format!("jail_set: {}", e.strerror())))?;
        if ctx.jailed() {
            return Err(JailError::new(Errno::EPERM, "jail_set: Operation not permitted"));
        }
        if spec.vnet && !self.vimage {
            return Err(JailError::new(Errno::ENOENT, "unknown parameter: vnet"));
        }
        let name = &spec.name;
        if name.len() >= 256 {
            return Err(JailError::new(Errno::ENAMETOOLONG, "name too long"));
        }
        if let Some((parent, _)) = name.rsplit_once('.') {
            return Err(JailError::new(Errno::ENOENT, format!("jail \"{parent}\" not found")));
        }
        if let Some(j) = spec.jid
            && self.jails.contains_key(&j)
        {
            return Err(JailError::new(Errno::EEXIST, format!("jail {j} already exists")));
        }
        if !name.is_empty() && self.jail_names.contains_key(name) {
            return Err(JailError::new(Errno::EEXIST, format!("jail \"{name}\" already exists")));
        }
        let jid = match spec.jid {
            Some(j) if j > 0 && j <= JAIL_MAX => j,
            Some(j) => {
                return Err(JailError::new(Errno::EINVAL, format!("jid {j} out of range")));
            }
            None => self.next_free_jid().ok_or_else(|| JailError::new(Errno::EAGAIN, "no available jail IDs"))?,
        };
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) && name.parse::<u32>().ok() != Some(jid) {
            return Err(JailError::new(Errno::EINVAL, "name cannot be numeric (unless it is the jid)"));
        }
        let vnet = if spec.vnet {
            let v = VnetId(self.next_vnet);
            self.next_vnet += 1;
            self.vnets.insert(v, Vnet::new(Some(jid)));
            self.attach_loopback(v, false);
            Some(v)
        } else {
            None
        };
        let name = if name.is_empty() { jid.to_string() } else { name.clone() };
        self.jail_names.insert(name.clone(), jid);
        self.jails.insert(
            jid,
            super::Jail {
                jid,
                name,
                path: spec.path.clone(),
                hostname: spec.hostname.clone().unwrap_or_else(|| self.hostname.clone()),
                vnet,
                persist: spec.persist,
                dying: false,
                devfs_ruleset: spec.devfs_ruleset.unwrap_or(0),
                mount_devfs: spec.mount_devfs,
                allow: {
                    let mut a = default_allow();
                    for (name, on) in &spec.allow {
                        if *on {
                            a.insert(name.clone());
                        } else {
                            a.remove(name);
                        }
                    }
                    a
                },
            },
        );
        if spec.mount_devfs {
            let m = format!("{}/dev", spec.path.trim_end_matches('/'));
            self.devfs_mount(&m, spec.devfs_ruleset.unwrap_or(4));
        }
        if spec.jid.is_none() || jid > self.last_jid {
            self.last_jid = jid;
        }
        Ok(jid)
    }

    /// The kernel's JID choice: one past the last one handed out, skipping used ones.
    fn next_free_jid(&self) -> Option<u32> {
        let mut j = self.last_jid;
        for _ in 0..JAIL_MAX {
            j = if j >= JAIL_MAX { 1 } else { j + 1 };
            if !self.jails.contains_key(&j) {
                return Some(j);
            }
        }
        None
    }

    /// `jail_remove(2)` and the death of the jail's vnet: interfaces borrowed from elsewhere
    /// return to their home vnet keeping their jail-side name (duplicates allowed), DOWN,
    /// addresses purged; interfaces created in the jail's vnet are destroyed wherever they
    /// are (an epair's peer with it).
    pub(crate) fn jail_remove(&mut self, ctx: Ctx, jid: u32) -> Result<(), Errno> {
        self.begin_op()?;
        if ctx.jailed() {
            return Err(Errno::EPERM);
        }
        let j = self.jails.get(&jid).ok_or(Errno::EINVAL)?.clone();
        if let Some(v) = j.vnet {
            for id in self.ifnets_in(v) {
                let home = self.ifp(id).map(|i| i.home);
                if let Some(home) = home.filter(|&h| h != v) {
                    let _ = self.vmove(id, home);
                }
            }
            let homed: Vec<_> = self.vnet(v).map(|vn| vn.homed.iter().copied().collect()).unwrap_or_default();
            for id in homed {
                self.destroy_now(id);
            }
            self.vnets.remove(&v);
        }
        self.jails.remove(&jid);
        if j.mount_devfs {
            self.devfs_unmount(&format!("{}/dev", j.path.trim_end_matches('/')));
        }
        if self.jail_names.get(&j.name) == Some(&jid) {
            self.jail_names.remove(&j.name);
        }
        Ok(())
    }

    /// `jail_getid(3)` as the caller sees it: a JID or a name of a live jail, else libjail's
    /// error text (`jail "x" not found`, `jail 9 not found`). lib/libjail/jail_getid.c returns
    /// JID 0 (prison0) at once, without asking the kernel, so `0` is "found" and the kernel
    /// call that follows refuses it (`ifconfig X vnet 0`: ENXIO from `if_vmove_loan`). That
    /// special case is in the 14.x libjail; 13.x is modelled without it (not confirmed).
    pub(crate) fn jail_getid(&self, ctx: Ctx, key: &str) -> Result<u32, String> {
        let numeric = !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit());
        if numeric && self.osreldate >= 1_400_000 && key.bytes().all(|b| b == b'0') {
            return Ok(0);
        }
        let found = if ctx.jailed() {
            None
        } else if numeric {
            key.parse::<u32>().ok().filter(|j| self.jails.get(j).is_some_and(|j| !j.dying))
        } else {
            self.jail_names.get(key).copied().filter(|j| self.jails.get(j).is_some_and(|j| !j.dying))
        };
        found.ok_or_else(|| {
            if numeric {
                format!("jail {} not found", key.trim_start_matches('0').parse::<u64>().unwrap_or(0))
            } else {
                format!("jail \"{key}\" not found")
            }
        })
    }

    /// Every jail, in JID order.
    pub(crate) fn jail_list(&self) -> impl Iterator<Item = &Jail> {
        self.jails.values()
    }

    /// True when the jail process `ctx` runs in has `allow.NAME` (always, on the host).
    pub(crate) fn jail_allows(&self, ctx: Ctx, name: &str) -> bool {
        match ctx.jail {
            None => true,
            Some(jid) => self.jail(jid).is_some_and(|j| j.allow.contains(&format!("allow.{name}"))),
        }
    }

    /// A jail by JID.
    pub(crate) fn jail(&self, jid: u32) -> Option<&Jail> {
        self.jails.get(&jid)
    }

    /// Creates a jail the way CBSD's `jail -c name=… path=… [vnet] persist mount.devfs
    /// devfs_ruleset=5|4` does (one counted operation), for test setup: vnet jails get ruleset
    /// 5, others 4, as CBSD's profiles give them.
    pub fn create_jail(&mut self, name: &str, path: &str, vnet: bool) -> Result<u32, Errno> {
        self.create_jail_with(name, path, vnet, Some(if vnet { 5 } else { 4 }))
    }

    /// [`Kernel::create_jail`] with a chosen `devfs_ruleset` (`None`: devfs is not mounted).
    pub fn create_jail_with(&mut self, name: &str, path: &str, vnet: bool, devfs: Option<u16>) -> Result<u32, Errno> {
        let spec = JailSpec {
            name: name.to_string(),
            path: path.to_string(),
            hostname: None,
            vnet,
            persist: true,
            jid: None,
            devfs_ruleset: devfs,
            mount_devfs: devfs.is_some(),
            allow: Vec::new(),
        };
        self.jail_create(Ctx::HOST, &spec).map_err(|e| e.errno)
    }

    /// Removes a jail by name or JID the way `jail -r` does (interfaces go home or die).
    pub fn remove_jail(&mut self, name_or_jid: &str) -> Result<(), Errno> {
        let jid = self.jail_getid(Ctx::HOST, name_or_jid).map_err(|_| Errno::ENOENT)?;
        self.jail_remove(Ctx::HOST, jid)
    }

    /// The JID of a live jail.
    pub fn jail_jid(&self, name: &str) -> Option<u32> {
        self.jail_names.get(name).copied()
    }

    /// The vnet a jail (by name or JID) works in.
    pub(crate) fn jail_vnet_by_key(&self, key: &str) -> Option<VnetId> {
        let jid = self.jail_getid(Ctx::HOST, key).ok()?;
        self.jails.get(&jid).map(|j| j.vnet.unwrap_or(VnetId::HOST))
    }
}

/// What `jail -m` asks the kernel to change (the parameters the model keeps that jail_set
/// accepts on JAIL_UPDATE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JailUpdate {
    /// `devfs_ruleset=`, as libjail imported it (an int; the kernel checks its range).
    pub devfs_ruleset: Option<i64>,
    /// `host.hostname=`.
    pub hostname: Option<String>,
}

impl Kernel {
    /// `jail_set(JAIL_UPDATE)` of jail `jid` (sys/kern/kern_jail.c `kern_jail_set`): a caller
    /// in a jail is EPERM here (no nested jails in the model); a JID that is not there is
    /// ENOENT `jail N not found`, a dying one ENOENT `jail N is dying`; `devfs_ruleset`
    /// outside 0–65535 is EINVAL with no errmsg (libjail then says `jail_set: Invalid
    /// argument`). Nothing is set unless everything is valid. The new `pr_devfs_rsnum` is what
    /// devfs mounts made inside the jail from now on get; a /dev already mounted keeps its
    /// ruleset (that is `devfs -m … ruleset`'s job).
    pub(crate) fn jail_update(&mut self, ctx: Ctx, jid: u32, u: &JailUpdate) -> Result<(), JailError> {
        self.begin_op().map_err(|e| JailError::new(e, format!("jail_set: {}", e.strerror())))?;
        if ctx.jailed() {
            return Err(JailError::new(Errno::EPERM, "jail_set: Operation not permitted"));
        }
        match self.jails.get(&jid) {
            None => return Err(JailError::new(Errno::ENOENT, format!("jail {jid} not found"))),
            Some(j) if j.dying => return Err(JailError::new(Errno::ENOENT, format!("jail {jid} is dying"))),
            Some(_) => {}
        }
        let rsnum = match u.devfs_ruleset {
            Some(n) => Some(u16::try_from(n).map_err(|_| JailError::new(Errno::EINVAL, "jail_set: Invalid argument"))?),
            None => None,
        };
        if let Some(j) = self.jails.get_mut(&jid) {
            if let Some(n) = rsnum {
                j.devfs_ruleset = n;
            }
            if let Some(h) = &u.hostname {
                j.hostname = h.clone();
            }
        }
        Ok(())
    }
}
