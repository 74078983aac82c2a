//! Planning vimage's devfs ruleset for a jail: which number, loading it into the kernel,
//! applying it to the jail's running /dev, telling CBSD, and keeping `/etc/devfs.rules` in
//! step — and, on unbridge, giving it all back.
//!
//! The number: the one asked for (`devfs_ruleset=`/`ruleset=`), else vimage's section's
//! number, else [`DEFAULT_RULESET`] or, when that is taken, the next free number up to
//! [`MAX_AUTO_RULESET`], deterministically. A number is taken when FreeBSD's defaults define
//! it (1–5), another section of `/etc/devfs.rules` has it, or the kernel has it loaded and
//! vimage did not write it (iocage's and AppJail's dynamic sets). An asked-for number that is
//! taken is refused: vimage never reuses a ruleset it did not write.

use super::{Effect, FileEdit, Plan, Step};
use crate::devfs::rules::{Ours, RulesFile};
use crate::devfs::{BASE_NAMES, DEFAULT_RULESET, MAX_AUTO_RULESET, STOCK, expected_show, rule_words, section_rules};
use crate::error::{Error, Kind, Result};
use crate::facts::{DevfsFacts, HostView, JailInfo};
use crate::model::JailName;
use crate::op::Op;
use std::collections::BTreeMap;

/// The numbers the rules files give names to, as rc.subr defines them (defaults first, then
/// /etc/devfs.rules; a later definition wins).
fn names(f: &DevfsFacts, file: &RulesFile) -> BTreeMap<String, u16> {
    let mut m: BTreeMap<String, u16> = match f.defaults.as_deref() {
        Some(t) => RulesFile::parse(t).headers().into_iter().filter_map(|h| Some((h.name, h.number?))).collect(),
        None => STOCK.iter().map(|(n, x)| (n.to_string(), *x)).collect(),
    };
    for h in file.others() {
        if let Some(n) = h.number {
            m.insert(h.name, n);
        }
    }
    m
}

/// Why `n` is not vimage's to use, if it is not.
fn taken_by(n: u16, f: &DevfsFacts, file: &RulesFile) -> Option<String> {
    let defaults: Vec<(String, u16)> = match f.defaults.as_deref() {
        Some(t) => RulesFile::parse(t).headers().into_iter().filter_map(|h| Some((h.name, h.number?))).collect(),
        None => STOCK.iter().map(|(a, b)| (a.to_string(), *b)).collect(),
    };
    if let Some((name, _)) = defaults.iter().find(|(_, x)| *x == n) {
        return Some(format!("FreeBSD's stock ruleset {name} (/etc/defaults/devfs.rules)"));
    }
    if let Some(h) = file.others().into_iter().find(|h| h.number == Some(n)) {
        return Some(format!("ruleset [{}={n}] in /etc/devfs.rules, which vimage did not write", h.name));
    }
    let ours = file.ours().and_then(|o| o.number) == Some(n) || f.users.iter().any(|u| u.ruleset == n);
    if f.loaded.contains(&n) && !ours {
        return Some("loaded in the kernel (devfs rule showsets) by something other than vimage".to_string());
    }
    None
}

/// Adds to `plan` what gives `jail`'s /dev vimage's ruleset; returns its number.
pub fn plan_use(plan: &mut Plan, jail: &JailName, info: &JailInfo, v: &HostView, want: Option<u16>) -> Result<u16> {
    let f = v.devfs.as_ref().ok_or_else(|| Error::new(Kind::Internal, "devfs facts were not gathered"))?;
    if let Some(why) = &f.rules_error {
        // Its numbers decide vimage's, and the section would be written into it afterwards:
        // refused now, before anything changes, rather than half-done later.
        return Err(Error::jail(Kind::Data, jail, why.clone())
            .detail("vimage's devfs ruleset lives in that file; fix or remove the bytes and run vimage again")
            .detail("nothing was changed"));
    }
    let file = RulesFile::parse(f.rules.as_deref().unwrap_or(""));
    let ours = file.ours();
    let others: Vec<&str> = f.users.iter().filter(|u| u.jail != jail.as_str()).map(|u| u.jail.as_str()).collect();
    let me = f.users.iter().find(|u| u.jail == jail.as_str());
    let err = |msg: String| Error::jail(Kind::Data, jail, msg);
    let current = ours.as_ref().and_then(|o| o.number).or_else(|| f.users.first().map(|u| u.ruleset));
    let n = match want {
        Some(0) => return Err(err("devfs ruleset 0 means \"no ruleset\"; give a number from 1 to 65535".into())),
        Some(n) => {
            if let Some(why) = taken_by(n, f, &file) {
                return Err(err(format!("devfs ruleset {n} is {why}; vimage uses only a ruleset it writes itself"))
                    .detail("choose another number, or leave the number out and vimage picks one (default 50)"));
            }
            if let Some(c) = current.filter(|c| *c != n && !others.is_empty()) {
                return Err(err(format!(
                    "vimage's devfs ruleset is {c}, used by {}; it cannot move to {n} while they use it",
                    others.join(", ")
                ))
                .detail(format!("use ruleset={c}, or unbridge those jails first")));
            }
            n
        }
        None => match current {
            Some(c) => {
                if let Some(why) = file.others().iter().find(|h| h.number == Some(c)).map(|h| h.name.clone()) {
                    return Err(err(format!(
                        "vimage's devfs ruleset {c} now clashes with [{why}={c}] in /etc/devfs.rules"
                    ))
                    .detail("renumber one of them (ruleset=N moves vimage's)"));
                }
                c
            }
            None => {
                let n = (DEFAULT_RULESET..=MAX_AUTO_RULESET).find(|n| taken_by(*n, f, &file).is_none()).ok_or_else(
                    || Error::jail(Kind::Unavailable, jail, "no free devfs ruleset number between 50 and 999"),
                )?;
                if n != DEFAULT_RULESET {
                    let why = taken_by(DEFAULT_RULESET, f, &file).unwrap_or_default();
                    plan.notes
                        .push(format!("devfs: vimage's default ruleset {DEFAULT_RULESET} is {why}; using {n} instead"));
                }
                n
            }
        },
    };
    // The stock rulesets it includes, by number, loaded.
    let named = names(f, &file);
    let mut bases = Vec::new();
    for name in BASE_NAMES {
        let b = *named.get(name).ok_or_else(|| {
            Error::jail(Kind::Unavailable, jail, format!("no devfs.rules file defines the ruleset {name}"))
        })?;
        if !f.loaded.contains(&b) {
            return Err(Error::jail(
                Kind::Unavailable,
                jail,
                format!("devfs ruleset {b} ({name}) is not loaded in the kernel, and vimage's ruleset includes it"),
            )
            .detail(
                "load the rulesets of /etc/defaults/devfs.rules: service devfs restart (devfs_load_rulesets=YES)",
            ));
        }
        bases.push(b);
    }
    // The kernel's copy.
    let want_rules = expected_show(&bases);
    let loaded = f.loaded.contains(&n);
    if !loaded || f.shown.get(&n) != Some(&want_rules) {
        if loaded {
            plan.steps.push(Step::new(Op::DevfsDelset { set: n }));
            plan.notes.push(format!("devfs: reloading ruleset {n}: the kernel's copy differs from vimage's"));
        } else {
            plan.notes.push(format!("devfs: loading ruleset {n} (stock ruleset 5 plus bpf) into the kernel"));
        }
        for (i, words) in rule_words(&bases).into_iter().enumerate() {
            plan.steps.push(Step::new(Op::DevfsRuleAdd { set: n, words, new_set: !loaded && i == 0 }));
        }
    }
    // The jail's /dev.
    let mount = info.dev_mount();
    let applied = me.is_some_and(|u| u.ruleset == n && u.jid == info.jid && u.boottime == v.kernel.boottime);
    // The jail's devfs_ruleset parameter before vimage (0: none, its /dev got jail(8)'s 4).
    let prev = me.map_or(info.devfs_ruleset, |u| u.prev);
    if applied {
        plan.notes.push(format!("devfs: {mount} already has ruleset {n}"));
    } else {
        let mount_prev = me
            .filter(|u| u.jid == info.jid && u.boottime == v.kernel.boottime)
            .map_or_else(|| info.effective_devfs_ruleset(), |u| u.ruleset);
        plan.steps.push(Step::new(Op::DevfsUse { mount: mount.clone(), set: n, prev: mount_prev }));
        plan.steps.push(Step::new(Op::DevfsApply { mount: mount.clone(), set: n, prev: mount_prev }));
        plan.notes.push(format!("devfs: giving {mount} ruleset {n}, so bpf is visible to dhclient (was {mount_prev})"));
    }
    // The running jail's own parameter, which jls shows and devfs mounted inside it later gets.
    if info.devfs_ruleset != n {
        plan.steps.push(Step::new(Op::JailSetDevfs {
            jail: jail.clone(),
            jid: info.jid,
            set: n,
            prev: info.devfs_ruleset,
        }));
        plan.notes.push(format!("devfs: the jail's devfs_ruleset parameter becomes {n} (was {})", info.devfs_ruleset));
    }
    // CBSD's setting, for the jail's next start.
    let cbsd = v.cbsd || me.is_some_and(|u| u.cbsd);
    if v.cbsd && info.devfs_ruleset != n {
        plan.steps.push(Step::new(Op::CbsdJset {
            jail: jail.clone(),
            key: "devfs_ruleset".into(),
            value: n.to_string(),
            prev: info.devfs_ruleset.to_string(),
        }));
    }
    // An old number of vimage's own ruleset that nobody uses any more.
    if let Some(c) = current.filter(|c| *c != n && f.loaded.contains(c)) {
        plan.steps.push(Step::new(Op::DevfsDelset { set: c }));
        plan.notes.push(format!("devfs: vimage's ruleset moves from {c} to {n}"));
    }
    let in_file = ours == Some(Ours { number: Some(n), rules: section_rules() });
    if !in_file {
        plan.files.push(FileEdit::DevfsRules { set: Some(n) });
    }
    let changed =
        me.is_none_or(|u| u.ruleset != n || u.jid != info.jid || u.boottime != v.kernel.boottime || u.cbsd != cbsd);
    if changed {
        plan.effects.push(Effect::DevfsUse { ruleset: n, prev, jid: info.jid, cbsd });
    }
    Ok(n)
}

/// Adds to `plan` what gives back a jail's use of vimage's ruleset: its /dev's old ruleset
/// (when the same jail instance still runs), CBSD's old setting, and — when no other jail
/// uses it — the kernel's ruleset and the section of /etc/devfs.rules.
pub fn plan_release(plan: &mut Plan, jail: &JailName, info: Option<&JailInfo>, v: &HostView) {
    let Some(f) = v.devfs.as_ref() else { return };
    let Some(me) = f.users.iter().find(|u| u.jail == jail.as_str()) else { return };
    if let Some(i) = info.filter(|i| i.jid == me.jid && !i.dying && me.boottime == v.kernel.boottime) {
        // `prev` is the jail's parameter before; its /dev had that ruleset, or jail(8)'s 4.
        let mount_prev = JailInfo::effective(me.prev);
        if mount_prev != me.ruleset {
            let mount = i.dev_mount();
            plan.steps.push(Step::new(Op::DevfsUse { mount: mount.clone(), set: mount_prev, prev: me.ruleset }));
            plan.steps.push(Step::new(Op::DevfsApply { mount: mount.clone(), set: mount_prev, prev: me.ruleset }));
            plan.notes.push(format!("devfs: {mount} gets its ruleset {mount_prev} back"));
        }
        // The parameter goes back too, unless someone changed it since.
        if i.devfs_ruleset == me.ruleset && me.prev != me.ruleset {
            plan.steps.push(Step::new(Op::JailSetDevfs {
                jail: jail.clone(),
                jid: i.jid,
                set: me.prev,
                prev: me.ruleset,
            }));
            plan.notes.push(format!("devfs: the jail's devfs_ruleset parameter gets {} back", me.prev));
        }
    }
    if me.cbsd {
        plan.steps.push(Step::new(Op::CbsdJset {
            jail: jail.clone(),
            key: "devfs_ruleset".into(),
            value: me.prev.to_string(),
            prev: me.ruleset.to_string(),
        }));
    }
    let others = f.users.iter().any(|u| u.jail != jail.as_str());
    if !others {
        if f.loaded.contains(&me.ruleset) {
            plan.steps.push(Step::new(Op::DevfsDelset { set: me.ruleset }));
        }
        // A file that cannot be read may hold the section: the edit is tried after the
        // kernel part, and its failure reported then.
        if f.rules_error.is_some() || f.rules.as_deref().is_some_and(|t| RulesFile::parse(t).ours().is_some()) {
            plan.files.push(FileEdit::DevfsRules { set: None });
        }
        plan.notes.push(format!("devfs: no jail uses vimage's ruleset {} any more; removing it", me.ruleset));
    }
    plan.effects.push(Effect::DevfsRelease);
}
