//! Moving interfaces between vnets (sys/net/if.c `if_vmove_loan`, `if_vmove_reclaim`,
//! `if_vmove`, `vnet_if_return`).

use super::Kernel;
use super::cred::Ctx;
use super::types::{IfId, VnetId};
use crate::Errno;

impl Kernel {
    /// `SIOCSIFVNET` (`ifconfig X vnet J`): moves `id` into jail `jid`'s vnet.
    ///
    /// ENXIO jail not found (or not a child of the caller); EEXIST the jail shares the
    /// interface's vnet (no `vnet` param) or an interface of that name exists there; EBUSY the
    /// jail is dying.
    pub(crate) fn if_vmove_loan(&mut self, ctx: Ctx, id: IfId, jid: u32) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let dest = self.child_jail_vnet(ctx, jid)?;
        let ifp = self.ifp_or_nxio(id)?;
        if dest == ifp.vnet {
            return Err(Errno::EEXIST);
        }
        if self.ifunit(dest, &ifp.name).is_some() {
            return Err(Errno::EEXIST);
        }
        if self.jails.get(&jid).is_some_and(|j| j.dying) {
            return Err(Errno::EBUSY);
        }
        self.vmove(id, dest)
    }

    /// `SIOCSIFRVNET` (`ifconfig X -vnet J`): takes the interface named `name` out of jail
    /// `jid`'s vnet into the caller's. No name check in the destination (duplicates possible).
    ///
    /// ENXIO jail not found or no such interface in it; EEXIST the jail shares the caller's
    /// vnet and the interface is already here.
    pub(crate) fn if_vmove_reclaim(&mut self, ctx: Ctx, name: &str, jid: u32) -> Result<(), Errno> {
        self.begin_op()?;
        self.priv_net(ctx)?;
        let src = self.child_jail_vnet(ctx, jid)?;
        let id = self.ifunit(src, name).ok_or(Errno::ENXIO)?;
        if src == ctx.vnet {
            return Err(Errno::EEXIST);
        }
        if self.jails.get(&jid).is_some_and(|j| j.dying) {
            return Err(Errno::EBUSY);
        }
        self.vmove(id, ctx.vnet)
    }

    /// The vnet of jail `jid` if the caller may see it (host: every jail; a jail: none, the
    /// simulator has no nested jails).
    fn child_jail_vnet(&self, ctx: Ctx, jid: u32) -> Result<VnetId, Errno> {
        if ctx.jailed() {
            return Err(Errno::ENXIO);
        }
        let j = self.jails.get(&jid).ok_or(Errno::ENXIO)?;
        Ok(j.vnet.unwrap_or(VnetId::HOST))
    }

    /// `if_vmove`: detach (leaving any bridge, releasing a bridge's members), clear UP, purge
    /// addresses and routes, drop every group but the cloner's, attach in `dest` with a new
    /// `if_index`. Name, MAC and description are kept.
    pub(crate) fn vmove(&mut self, id: IfId, dest: VnetId) -> Result<(), Errno> {
        let full = self.vnet(dest).ok_or(Errno::ENXIO)?.by_link.len() >= super::ifnet::IF_MAXINDEX as usize;
        let origin = self.ifp_or_nxio(id)?.vnet;
        if full {
            return Err(Errno::ENOSPC);
        }
        // ether_reassign (if_ethersubr.c): the ng_ether node dies here and is made again there.
        self.ng_ether_detach(id);
        self.departure(id);
        self.unlink_from_vnet(id);
        if let Some(i) = self.ifp_mut(id) {
            i.up = false;
            i.addrs.clear();
            let cloner = i.dname.clone();
            let cloned = !matches!(i.kind, super::ifnet::IfKind::Ether);
            i.groups.retain(|g| cloned && *g == cloner);
        }
        let r = self.relink_into(id, dest).or_else(|e| {
            // Cannot happen after the check above; put it back rather than lose it.
            self.relink_into(id, origin)?;
            Err(e)
        });
        self.ng_ether_attach(id);
        r
    }
}
