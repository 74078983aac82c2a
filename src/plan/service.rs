//! The standalone service's plans: starting and stopping a vimage (a jail vimage creates
//! itself from rc.conf), what undoes a start that failed half way, and when a bridge plan is
//! worth planning again. The session (`ops`) only runs what is decided here.
//!
//! A start is three plans run in order — [`StartPlan::create`] (`jail -c`, the jail marked
//! `starting`), the jail's network (`bridge`, planned once the jail exists), and
//! [`StartPlan::run`] (`exec_start`, the jail marked started as its JID) — because the network
//! can only be planned against the jail the kernel made. If anything after `create` fails the
//! start is compensated by [`StartPlan::on_failure`], so a vimage is started completely or
//! not at all. The same compensation takes down a jail a crash left `starting` or `stopping`.

use super::{Effect, Plan, Step, Verb};
use crate::facts::HostView;
use crate::model::JailName;
use crate::op::{IfRef, Op};
use crate::state::BridgeRec;

/// The lifecycle mark of a jail `vimage start` is creating; one left behind at the next
/// session means a start was interrupted.
pub const STARTING: &str = "starting";

/// The lifecycle mark of a jail `vimage stop` is stopping; one left behind means a stop was
/// interrupted.
pub const STOPPING: &str = "stopping";

/// The lifecycle mark of a jail `vimage start` started completely, as jail instance `jid`
/// (so `vimage stop` knows it is its own even when its rc.conf lines are gone by then).
pub fn started_state(jid: u32) -> String {
    format!("running jid={jid}")
}

/// The jail instance a lifecycle mark says `vimage start` started, if it is that mark (the
/// others, [`STARTING`] and [`STOPPING`], mark runs a crash interrupted).
pub fn started_jid(state: &str) -> Option<u32> {
    state.strip_prefix("running jid=")?.parse().ok()
}

/// What undoes a service start that failed after its jail was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compensation {
    /// Take the jail all the way down: unbridge its network, then [`plan_abandon`] (remove
    /// the jail if it still exists, forget its lifecycle mark).
    Abandon,
}

/// The service's start of one vimage, as data (see the module doc for the order).
#[derive(Debug, Clone)]
pub struct StartPlan {
    /// `jail -c` with the jail's parameters; marks it [`STARTING`].
    pub create: Plan,
    /// The jail has NICs, so its network is bridged between `create` and `run`.
    pub bridge: bool,
    /// `exec_start` inside the jail (no step when there is none). Its lifecycle mark needs the
    /// JID the kernel gave the jail: see [`StartPlan::run_as`].
    pub run: Plan,
    /// What undoes the start if anything after `create` fails.
    pub on_failure: Compensation,
}

impl StartPlan {
    /// [`StartPlan::run`] for jail instance `jid`: it marks the jail started as that instance.
    pub fn run_as(&self, jid: u32) -> Plan {
        let mut run = self.run.clone();
        run.effects.push(Effect::Lifecycle { state: Some(started_state(jid)) });
        run
    }
}

/// Plans the service's start of `jail`: create it with the jail(8) `params`, bridge its
/// network when `has_nics`, run `exec_start`.
pub fn plan_start(jail: &JailName, params: Vec<String>, exec_start: &str, has_nics: bool) -> StartPlan {
    let mut create = Plan::new(jail.clone(), Verb::Start);
    create.steps.push(Step::new(Op::CreateJail { jail: jail.clone(), params }));
    create.effects.push(Effect::Lifecycle { state: Some(STARTING.into()) });
    let mut run = Plan::new(jail.clone(), Verb::Start);
    if !exec_start.trim().is_empty() {
        run.steps.push(Step::new(Op::ExecInJail { jail: jail.clone(), command: exec_start.to_string() }));
    }
    StartPlan { create, bridge: has_nics, run, on_failure: Compensation::Abandon }
}

/// The jail part of [`Compensation::Abandon`], after its network was taken back: `jail -r`
/// when the jail still `exists`, then its lifecycle mark goes.
pub fn plan_abandon(jail: &JailName, exists: bool) -> Plan {
    let mut plan = Plan::new(jail.clone(), Verb::Stop);
    if exists {
        plan.steps.push(Step::new(Op::RemoveJail { jail: jail.clone() }));
    }
    plan.effects.push(Effect::Lifecycle { state: None });
    plan
}

/// The admin's `exec_stop` inside a running jail, or `None` when it is empty. Its failure is
/// reported and the stop goes on.
pub fn plan_exec_stop(jail: &JailName, exec_stop: &str) -> Option<Plan> {
    if exec_stop.trim().is_empty() {
        return None;
    }
    let mut p = Plan::new(jail.clone(), Verb::Stop);
    p.steps.push(Step::new(Op::ExecInJail { jail: jail.clone(), command: exec_stop.to_string() }));
    Some(p)
}

/// The service's stop after `exec_stop`: the jail's network is taken back before the jail is
/// removed (when `running`), so renamed interfaces never come back to the host; then its
/// lifecycle mark goes.
pub fn plan_stop(jail: &JailName, view: &HostView, running: bool) -> Plan {
    let mut plan = super::plan_unbridge(jail, view);
    plan.verb = Verb::Stop;
    if running {
        plan.steps.push(Step::new(Op::RemoveJail { jail: jail.clone() }));
    }
    plan.effects.push(Effect::Lifecycle { state: None });
    plan
}

/// How many times a bridge plan that failed is planned again after forgetting recorded
/// bridges that had vanished (see [`recorded_bridges_used`]).
pub const BRIDGE_REPLANS: u32 = 1;

/// The recorded bridges `plan` relies on without having checked that they still exist
/// (bridges are trusted from the records, since listing one with thousands of members on every
/// start would make starts O(jails)): an ng_bridge its netgraph batch hangs a link on, an
/// if_bridge it adds a member to. When such a plan fails, the session checks these, forgets
/// the vanished ones and plans again.
pub fn recorded_bridges_used<'v>(plan: &Plan, view: &'v HostView) -> Vec<&'v BridgeRec> {
    view.bridges
        .iter()
        .filter(|b| {
            plan.steps.iter().any(|s| match &s.op {
                Op::NgScript { lines, .. } if b.is_netgraph() => {
                    lines.iter().any(|l| l.cmd.starts_with(&format!("mkpeer {}:", b.name)))
                }
                Op::AddMember { bridge: IfRef::Name(n), .. } if !b.is_netgraph() => *n == b.name,
                _ => false,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::render::dry_run;

    fn web1() -> JailName {
        JailName::parse("web1").unwrap()
    }

    #[test]
    fn a_start_creates_then_runs_and_is_abandoned_on_failure() {
        let s = plan_start(&web1(), vec!["name=web1".into(), "vnet".into()], "/bin/sh /etc/rc", true);
        assert_eq!(dry_run(&s.create).trim(), "jail -c name=web1 vnet");
        assert_eq!(s.create.steps[0].undo, Some(Op::RemoveJail { jail: web1() }));
        assert_eq!(s.create.effects, vec![Effect::Lifecycle { state: Some(STARTING.into()) }]);
        assert!(s.bridge);
        assert_eq!(s.on_failure, Compensation::Abandon);
        let run = s.run_as(7);
        assert_eq!(run.steps.len(), 1);
        assert_eq!(run.effects, vec![Effect::Lifecycle { state: Some("running jid=7".into()) }]);
        assert_eq!(started_jid(&started_state(7)), Some(7));
        assert_eq!(started_jid(STARTING), None);
        let quiet = plan_start(&web1(), Vec::new(), "  ", false);
        assert!(quiet.run.steps.is_empty() && !quiet.bridge);
    }

    #[test]
    fn abandoning_removes_only_a_jail_that_exists() {
        let p = plan_abandon(&web1(), true);
        assert_eq!(p.steps.iter().map(|s| s.op.clone()).collect::<Vec<_>>(), vec![Op::RemoveJail { jail: web1() }]);
        assert_eq!(p.effects, vec![Effect::Lifecycle { state: None }]);
        assert!(plan_abandon(&web1(), false).steps.is_empty());
        assert!(plan_exec_stop(&web1(), " ").is_none());
        assert_eq!(plan_exec_stop(&web1(), "/bin/sh /etc/rc.shutdown").map(|p| p.steps.len()), Some(1));
    }

    #[test]
    fn a_replan_checks_only_the_recorded_bridges_the_plan_used() {
        let mut v = crate::plan::tests::view("");
        let boot = v.kernel.boottime;
        v.bridges.push(BridgeRec::if_bridge("bridge0", "em0", true, boot));
        v.bridges.push(BridgeRec::if_bridge("bridge1", "em1", true, boot));
        let ng = |name: &str| BridgeRec {
            name: name.into(),
            uplink: "em2".into(),
            owned: true,
            boottime: boot,
            kind: crate::state::BridgeKind::Netgraph,
            ng_promisc: Some(true),
            ng_autosrc: Some(false),
        };
        v.bridges.push(ng("vimage_em2"));
        v.bridges.push(ng("vimage_em3"));
        let mut plan = Plan::new(web1(), Verb::Bridge);
        plan.steps.push(Step::new(Op::AddMember { bridge: IfRef::name("bridge0"), member: IfRef::name("epair0a") }));
        let line = crate::op::ngscript::NgLine {
            cmd: "mkpeer vimage_em2: eiface link2 ether".into(),
            undo: None,
            reply: None,
        };
        plan.steps.push(Step::new(Op::NgScript { slot: crate::op::Slot("ng".into()), lines: vec![line] }));
        let used: Vec<&str> = recorded_bridges_used(&plan, &v).iter().map(|b| b.name.as_str()).collect();
        assert_eq!(used, ["bridge0", "vimage_em2"]);
        assert_eq!(BRIDGE_REPLANS, 1);
    }
}
