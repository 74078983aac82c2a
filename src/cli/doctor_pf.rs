//! `vimage doctor`'s pf checks and `vimage doctor fix=1 pf=1`.
//!
//! vimage puts a private network's NAT and port forwards into its own anchor
//! (`vimage/NAME`), which pf evaluates only when the admin's main ruleset refers to it. vimage
//! never rewrites /etc/pf.conf on its own: doctor says what is missing, with the exact lines,
//! and `fix=1 pf=1` adds them (each block under a marker comment, every other byte kept), in
//! pf.conf(5)'s section order ([`crate::plan::doctor::pf_conf_add`]), checks the file with
//! `pfctl -nf`, then loads it with `pfctl -f`; when a step fails or the run is interrupted the
//! file is put back byte for byte. Enabling pf (`pfctl -e`) stays the admin's decision: a
//! firewall switched on by a tool can lock the admin out.

use super::doctor_check::Check;
use crate::error::{Error, Kind, Object, ObjectKind, Result};
use crate::op::Op;
use crate::paths::Paths;
use crate::plan::doctor::{DOCTOR_SCOPE, pf_conf_add};
use crate::plan::{Plan, Step, Verb};

/// The admin's main ruleset, as rc.d/pf loads it (`pf_rules`' default).
pub const PF_CONF: &str = "/etc/pf.conf";

/// Where `fix=1 pf=1` keeps /etc/pf.conf as it was while its run is under way (written before
/// the edit, removed when the run ends either way): a process killed in between leaves it, and
/// the next `vimage doctor` puts the file back from it ([`recover`]).
pub const PF_CONF_BEFORE: &str = "/var/db/vimage/pf.conf.before-fix";

/// The file as it was: its text, or `None` when there was none.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Before {
    text: Option<String>,
}

fn put_back(path: &std::path::Path, old: &Option<String>) -> std::io::Result<()> {
    match old {
        Some(bytes) => crate::fsedit::write_atomic(path, bytes.as_bytes()),
        None => match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// Puts /etc/pf.conf back as it was before a `fix=1 pf=1` whose process died mid-run (its
/// [`PF_CONF_BEFORE`] is still there), under the edit lock. Returns what it did, for the
/// report; `dry` only says so. The loaded ruleset is left alone: it may still reference
/// vimage's anchors, which is harmless (an empty anchor matches nothing).
pub fn recover(paths: &Paths, dry: bool) -> Result<Option<String>> {
    let before = paths.host(PF_CONF_BEFORE);
    if !before.exists() {
        return Ok(None);
    }
    let path = paths.host(PF_CONF);
    // Read under the edit lock: a fix still running holds it, and removes its record before
    // letting go.
    crate::fsedit::with_edit_lock(paths, || {
        let Ok(json) = std::fs::read_to_string(&before) else { return Ok(None) };
        let Ok(b) = serde_json::from_str::<Before>(&json) else {
            return Ok(Some(format!("ignored {PF_CONF_BEFORE}: not vimage's record (remove it by hand)")));
        };
        if dry {
            return Ok(Some(format!("would put {PF_CONF} back as it was before an interrupted doctor fix=1 pf=1")));
        }
        put_back(&path, &b.text).map_err(|e| cant(&path, e))?;
        let _ = std::fs::remove_file(&before);
        Ok(Some(format!(
            "put {PF_CONF} back as it was before an interrupted doctor fix=1 pf=1 (pfctl -f {PF_CONF} reloads it)"
        )))
    })
}

use crate::facts::pf::{PfFacts, missing_refs};

/// The pf checks (needed by `net`: vimage's private networks). pf not loaded is `info`:
/// hosts without private networks need no pf.
pub fn checks(f: &PfFacts) -> Vec<Check> {
    let mk = |status: &str, detail: String, fix: Option<&str>, persist: Option<&str>, lines: Vec<String>| Check {
        name: "pf".into(),
        status: status.into(),
        detail,
        fix: fix.map(str::to_string),
        persist: persist.map(str::to_string),
        needed_by: "net".into(),
        lines,
    };
    if !f.loaded {
        return vec![mk(
            "info",
            "not loaded (no /dev/pf): only private networks with NAT or port forwards need pf".into(),
            Some("kldload pf"),
            Some("sysrc pf_enable=YES"),
            Vec::new(),
        )];
    }
    let missing = missing_refs(f);
    let mut v = vec![if f.enabled {
        mk("ok", "loaded and enabled (pfctl -s info: Status: Enabled)".into(), None, None, Vec::new())
    } else {
        mk(
            "info",
            "loaded but disabled (pfctl -s info: Status: Disabled): NAT and port forwards of private networks do not work until it is enabled".into(),
            Some("pfctl -e"),
            Some("sysrc pf_enable=YES"),
            Vec::new(),
        )
    }];
    let mut anchors = if missing.is_empty() {
        mk(
            "ok",
            "the loaded main ruleset references vimage's anchors (nat-anchor, rdr-anchor and anchor \"vimage/*\")"
                .into(),
            None,
            None,
            Vec::new(),
        )
    } else {
        mk(
            if f.enabled { "warn" } else { "info" },
            format!(
                "the loaded main ruleset does not reference vimage's anchors, so private networks get no NAT or port \
                 forwards: add to {PF_CONF} (nat-anchor and rdr-anchor with the translation rules, before any filter \
                 rule; anchor with the filter rules), then pfctl -f {PF_CONF}"
            ),
            Some("vimage doctor fix=1 pf=1"),
            None,
            missing.iter().map(|s| s.to_string()).collect(),
        )
    };
    anchors.name = "pf anchors".into();
    v.push(anchors);
    v
}

/// What `fix=1 pf=1` did (or, in a dry run, would do), one line each for the report.
#[derive(Debug, Clone, Default)]
pub struct PfFixed {
    /// `wrote /etc/pf.conf: added …` lines.
    pub wrote: Vec<String>,
    /// The commands run (or to run).
    pub commands: Vec<String>,
}

/// The plan of the pfctl part: check the file, then load it.
fn plan() -> Option<Plan> {
    let mut p = Plan::new(crate::model::JailName::parse(DOCTOR_SCOPE).ok()?, Verb::Doctor);
    p.steps.push(Step::new(Op::PfCheckConf { path: PF_CONF.into() }));
    p.steps.push(Step::new(Op::PfLoadConf { path: PF_CONF.into() }));
    Some(p)
}

fn refused(msg: impl Into<String>) -> Error {
    Error::new(Kind::Unavailable, format!("doctor fix=1 pf=1: {}", msg.into()))
        .about(Object::new(ObjectKind::File, PF_CONF))
        .detail(format!("nothing was changed; {PF_CONF} is as it was"))
}

/// Runs `fix=1 pf=1`: nothing when the loaded ruleset already references the anchors;
/// refused (69, nothing changed) when pf is not loaded (`pfctl -f` could not load the file)
/// or the file is not text. Otherwise, under the edit lock: add the missing lines (if the
/// file lacks them), then `pfctl -nf` and `pfctl -f` as one journalled run ([`Verb::Doctor`];
/// a signal between the steps rolls it back); if that run fails, the file is put back byte
/// for byte (or removed, when vimage created it).
pub fn fix(ctx: &mut super::Ctx<'_>, f: &PfFacts, dry: bool) -> Result<PfFixed> {
    let mut done = PfFixed::default();
    if f.loaded && missing_refs(f).is_empty() {
        return Ok(done);
    }
    if !f.loaded {
        return Err(refused("pf is not loaded, so the ruleset cannot be loaded")
            .detail("load it first: kldload pf (at boot: sysrc pf_enable=YES), then run this again"));
    }
    let Some(p) = plan() else { return Ok(done) };
    let path = ctx.paths.host(PF_CONF);
    if dry {
        let old = read(&path)?;
        if let Some(e) = pf_conf_add(old.as_deref().unwrap_or("")) {
            done.wrote = e.added.iter().map(|l| format!("would add to {PF_CONF}: {l}")).collect();
        }
        done.commands = crate::plan::render::commands(&p).iter().map(|c| c.to_string()).collect();
        return Ok(done);
    }
    let paths: Paths = ctx.paths.clone();
    let s = crate::ops::Session::open(ctx.host, &paths, "doctor", false, ctx.lock_timeout)?;
    crate::fsedit::with_edit_lock(&paths, || {
        let old = read(&path)?;
        let edit = pf_conf_add(old.as_deref().unwrap_or(""));
        let before = paths.host(PF_CONF_BEFORE);
        if let Some(e) = &edit {
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d).map_err(|err| cant(&path, err))?;
            }
            if let Some(d) = before.parent() {
                std::fs::create_dir_all(d).map_err(|err| cant(&before, err))?;
            }
            let record = serde_json::to_string(&Before { text: old.clone() }).unwrap_or_default();
            crate::fsedit::write_atomic(&before, record.as_bytes()).map_err(|err| cant(&before, err))?;
            crate::fsedit::write_atomic(&path, e.text.as_bytes()).map_err(|err| cant(&path, err))?;
        }
        let r = crate::exec::apply(s.host, &p, &s.db, s.kernel.boottime);
        match r {
            Ok(rep) => {
                let _ = std::fs::remove_file(&before);
                if let Some(e) = edit {
                    done.wrote = e.added.iter().map(|l| format!("wrote {PF_CONF}: added {l}")).collect();
                }
                done.commands = rep.commands;
                Ok(done)
            }
            Err(err) => {
                if edit.is_none() {
                    return Err(err.detail(format!("{PF_CONF} was not changed")));
                }
                Err(match put_back(&path, &old) {
                    Ok(()) => {
                        let _ = std::fs::remove_file(&before);
                        err.detail(format!("{PF_CONF} was put back as it was, byte for byte"))
                    }
                    Err(e) => err.detail(format!("{PF_CONF} could not be put back ({e}): it holds vimage's lines")),
                })
            }
        }
    })
}

fn read(path: &std::path::Path) -> Result<Option<String>> {
    crate::facts::devfs::read_file(path)
        .map_err(|e| refused(format!("{} cannot be edited: {}", path.display(), e.message)))
}

fn cant(path: &std::path::Path, e: impl std::fmt::Display) -> Error {
    Error::new(Kind::CantCreate, format!("cannot write {}: {e}", path.display())).detail("nothing was loaded")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(nat: &[&str], rules: &[&str]) -> PfFacts {
        PfFacts {
            loaded: true,
            enabled: true,
            nat: nat.iter().map(|s| s.to_string()).collect(),
            rules: rules.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn anchors_are_found_as_pfctl_lists_them_and_the_missing_lines_are_named() {
        let f = facts(&["nat-anchor \"vimage/*\" all", "rdr-anchor \"vimage/*\" all"], &["anchor \"vimage/*\" all"]);
        assert!(missing_refs(&f).is_empty());
        let c = checks(&f);
        assert_eq!(c.iter().map(|c| c.status.as_str()).collect::<Vec<_>>(), ["ok", "ok"]);
        let f = facts(&["nat-anchor \"vimage/x\" all"], &["pass all flags S/SA keep state"]);
        assert_eq!(missing_refs(&f), ["nat-anchor \"vimage/*\"", "rdr-anchor \"vimage/*\"", "anchor \"vimage/*\""]);
        let c = checks(&f);
        assert_eq!((c[1].status.as_str(), c[1].lines.len()), ("warn", 3));
        assert_eq!(c[1].fix.as_deref(), Some("vimage doctor fix=1 pf=1"));
        let c = checks(&PfFacts::default());
        assert_eq!((c.len(), c[0].status.as_str()), (1, "info"), "pf simply not used");
    }
}
