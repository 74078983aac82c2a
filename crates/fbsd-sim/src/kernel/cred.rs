//! Who runs a command: the host, or a process inside a jail. Decides which vnet a command sees
//! and what it may change (`priv_check` in a jail).

use super::Kernel;
use super::types::VnetId;
use crate::Errno;

/// The execution context of one simulated process.
///
/// Exists because the same command means different things on the host, inside a vnet jail
/// (its own stack, root may change it) and inside a non-vnet jail (sees the host's stack but
/// may not change it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// The network stack the process sees.
    pub vnet: VnetId,
    /// The jail the process runs in; `None` on the host.
    pub jail: Option<u32>,
}

impl Ctx {
    /// A process on the host.
    pub const HOST: Ctx = Ctx { vnet: VnetId::HOST, jail: None };

    /// True inside a jail.
    pub fn jailed(&self) -> bool {
        self.jail.is_some()
    }
}

impl Kernel {
    /// The context of a process attached to jail `jid` (jexec, `ifconfig -j`).
    pub(crate) fn ctx_in_jail(&self, jid: u32) -> Option<Ctx> {
        let j = self.jails.get(&jid)?;
        Some(Ctx { vnet: j.vnet.unwrap_or(VnetId::HOST), jail: Some(jid) })
    }

    /// `priv_check` for network configuration: allowed on the host and inside a jail that owns
    /// its vnet; EPERM inside a jail that shares the host's stack.
    pub(crate) fn priv_net(&self, ctx: Ctx) -> Result<(), Errno> {
        match ctx.jail {
            None => Ok(()),
            Some(jid) => match self.jails.get(&jid) {
                Some(j) if j.vnet.is_some() => Ok(()),
                _ => Err(Errno::EPERM),
            },
        }
    }

    /// True when the context owns a vnet (security.jail.vnet).
    pub(crate) fn ctx_owns_vnet(&self, ctx: Ctx) -> bool {
        ctx.jail.and_then(|j| self.jails.get(&j)).is_some_and(|j| j.vnet.is_some())
    }
}
