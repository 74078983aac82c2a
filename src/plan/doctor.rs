//! `vimage doctor fix=1` as a plan like any change: a `kldload -n` step per kernel module the
//! gathered facts say is missing, journalled and applied by the executor, so `--dry-run`
//! prints it and a failure is handled (and rolled back) the way every other run's is.

use super::{Plan, Step, Verb};
use crate::model::JailName;
use crate::op::Op;

/// The name under which doctor journals its fixes (the journal's jail column), which belong to
/// no jail: its runs are told apart by their verb, [`Verb::Doctor`], and its messages never
/// show this name. `%` may start a CBSD jail name but no sane one looks like this (as
/// [`super::gc::GC_SCOPE`]).
pub const DOCTOR_SCOPE: &str = "%vimage-doctor";

/// The plan that loads every module of `modules` (name, loaded) that is not loaded, in the
/// order given; `None` when nothing is missing. [`Verb::Doctor`], a setup verb, so an
/// interrupted one is rolled back (a loaded module is never unloaded: [`Op::KldLoad`] has no
/// undo).
pub fn fix_plan(modules: &[(String, bool)]) -> Option<Plan> {
    let missing: Vec<&str> = modules.iter().filter(|(_, loaded)| !loaded).map(|(m, _)| m.as_str()).collect();
    if missing.is_empty() {
        return None;
    }
    let mut p = Plan::new(JailName::parse(DOCTOR_SCOPE).ok()?, Verb::Doctor);
    for m in missing {
        p.steps.push(Step::new(Op::KldLoad { module: m.to_string() }));
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::render;

    #[test]
    fn loads_exactly_the_missing_modules_in_order_and_nothing_when_none_is() {
        let m = |n: &str, l: bool| (n.to_string(), l);
        let p = fix_plan(&[m("if_epair", true), m("if_bridge", false), m("ng_ether", false)]).expect("a plan");
        let cmds: Vec<String> = render::commands(&p).iter().map(|c| c.to_string()).collect();
        assert_eq!(cmds, ["kldload -n if_bridge", "kldload -n ng_ether"]);
        assert!(p.steps.iter().all(|s| s.undo.is_none()), "a loaded module is not unloaded: {p:?}");
        assert_eq!((p.jail.as_str(), p.verb), (DOCTOR_SCOPE, Verb::Doctor));
        assert!(fix_plan(&[m("if_epair", true)]).is_none());
    }
}
