//! The sysctl MIB as the simulator knows it: a few `kern.*` and `security.jail.*` values the
//! tools read, and the per-vnet `net.*` knobs they may set.

use super::Kernel;
use super::cred::Ctx;
use crate::Errno;

/// A sysctl's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SysctlValue {
    /// An integer (`kern.osreldate`, `net.inet.ip.forwarding`).
    Int(i64),
    /// A string (`kern.hostuuid`).
    Str(String),
    /// A `struct timeval`, printed as `{ sec = …, usec = … }` (`kern.boottime`).
    Timeval {
        /// Seconds since the epoch.
        sec: i64,
        /// Microseconds.
        usec: i64,
    },
}

/// One OID as `sysctl` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysctlEntry {
    /// The OID's dotted name.
    pub name: String,
    /// Its value.
    pub value: SysctlValue,
    /// CTLFLAG_WR.
    pub writable: bool,
}

impl Kernel {
    /// `kern.osrelease` derived from `kern.osreldate` (1402000 → 14.2-RELEASE).
    pub(crate) fn osrelease(&self) -> String {
        format!("{}.{}-RELEASE", self.osreldate / 100_000, (self.osreldate / 1000) % 100)
    }

    /// Every OID visible in `ctx`, sorted by name.
    pub(crate) fn sysctl_all(&self, ctx: Ctx) -> Vec<SysctlEntry> {
        let ro = |name: &str, value: SysctlValue| SysctlEntry { name: name.to_string(), value, writable: false };
        let jail = ctx.jail.and_then(|j| self.jail(j));
        let hostname = jail.map_or(self.hostname.clone(), |j| j.hostname.clone());
        let mut v = vec![
            ro("kern.ostype", SysctlValue::Str("FreeBSD".into())),
            ro("kern.osrelease", SysctlValue::Str(self.osrelease())),
            ro("kern.osrevision", SysctlValue::Int(199_506)),
            ro("kern.osreldate", SysctlValue::Int(i64::from(self.osreldate))),
            ro("kern.hostname", SysctlValue::Str(hostname)),
            ro("kern.hostuuid", SysctlValue::Str(self.hostuuid.clone())),
            ro("kern.boottime", SysctlValue::Timeval { sec: self.boottime, usec: 0 }),
            ro("kern.securelevel", SysctlValue::Int(-1)),
            ro("kern.features.inet", SysctlValue::Int(1)),
            ro("kern.features.inet6", SysctlValue::Int(1)),
            ro("net.fibs", SysctlValue::Int(i64::from(self.fibs))),
            ro("security.jail.jailed", SysctlValue::Int(i64::from(ctx.jailed()))),
            ro("security.jail.vnet", SysctlValue::Int(i64::from(self.ctx_owns_vnet(ctx)))),
        ];
        if self.vimage {
            v.push(ro("kern.features.vimage", SysctlValue::Int(1)));
        }
        if self.module_loaded("netgraph") {
            v.push(ro("kern.features.netgraph", SysctlValue::Int(1)));
        }
        if let Some(vn) = self.vnet(ctx.vnet) {
            for (name, val) in &vn.sysctls {
                if self.vnet_sysctl_visible(name) {
                    v.push(SysctlEntry { name: name.clone(), value: SysctlValue::Int(*val), writable: true });
                }
            }
        }
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// `net.link.bridge.*` exist only while if_bridge is loaded; `member_ifaddrs` only on
    /// 15.x.
    fn vnet_sysctl_visible(&self, name: &str) -> bool {
        if name.starts_with("net.link.bridge.") {
            if !self.module_loaded("if_bridge") {
                return false;
            }
            if name == "net.link.bridge.member_ifaddrs" {
                return self.bridge_15();
            }
        }
        true
    }

    /// One OID.
    pub(crate) fn sysctl_get(&self, ctx: Ctx, name: &str) -> Option<SysctlEntry> {
        self.sysctl_all(ctx).into_iter().find(|e| e.name == name)
    }

    /// The OIDs below node `prefix` (`sysctl net.link.bridge`); empty when it is no node.
    pub(crate) fn sysctl_children(&self, ctx: Ctx, prefix: &str) -> Vec<SysctlEntry> {
        let p = format!("{prefix}.");
        self.sysctl_all(ctx).into_iter().filter(|e| e.name.starts_with(&p)).collect()
    }

    /// Writes an int OID. Per-vnet `net.*` OIDs are writable on the host and in a jail that
    /// owns its vnet; everything else is EPERM in a jail.
    pub(crate) fn sysctl_set(&mut self, ctx: Ctx, name: &str, value: i64) -> Result<(), Errno> {
        self.begin_op()?;
        if ctx.jailed() && !self.ctx_owns_vnet(ctx) {
            return Err(Errno::EPERM);
        }
        let visible = self.vnet_sysctl_visible(name);
        let vn = self.vnet_mut(ctx.vnet).ok_or(Errno::ENOENT)?;
        match vn.sysctls.get_mut(name) {
            Some(v) if visible => {
                *v = value;
                Ok(())
            }
            _ => Err(Errno::ENOENT),
        }
    }

    /// A per-vnet int sysctl of the host (tests, fixtures).
    pub fn host_sysctl(&self, name: &str) -> Option<i64> {
        self.sysctl_get(Ctx::HOST, name).and_then(|e| match e.value {
            SysctlValue::Int(i) => Some(i),
            _ => None,
        })
    }
}
