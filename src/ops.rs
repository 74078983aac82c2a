//! The operations every front end shares (CLI, CBSD hooks, rc.d service): open a session
//! under the host lock, repair what an interrupted run left, then bridge or unbridge a jail.

use crate::error::{Error, Errors, Kind, Result};
use crate::exec::progress::{Note, Progress, Silent};
use crate::exec::{self, Report, recover};
use crate::facts::{KernelFacts, gather};
use crate::host::Host;
use crate::lock::HostLock;
use crate::model::{JailName, JailNet};
use crate::op::Op;
use crate::paths::Paths;
use crate::plan::{Plan, Verb, plan_bridge, plan_unbridge, service};
use crate::rcd::VimageConf;
use crate::state::StateDb;
use std::time::Duration;

/// A plan and, unless it was a dry run or there was nothing to do, what running it did.
#[derive(Debug)]
pub struct Done {
    /// What was decided, shown even for a dry run.
    pub plan: Plan,
    /// Per-step outcome of running it; `None` for a dry run or an empty plan.
    pub report: Option<Report>,
    /// What the run found afterwards (a DHCP lease) and which files it changed.
    pub results: Vec<String>,
}

impl Done {
    fn planned(plan: Plan) -> Done {
        Done { plan, report: None, results: Vec::new() }
    }
}

/// One vimage invocation's hold on the host: lock, state database, kernel facts.
pub struct Session<'h> {
    /// The seam to the kernel every step runs through.
    pub host: &'h mut dyn Host,
    /// vimage's records and journal (in memory for a dry run).
    pub db: StateDb,
    /// Gathered once per session: every plan needs the boot time, release and host UUID.
    pub kernel: KernelFacts,
    /// What was repaired on the way in (interrupted runs of any jail), and warnings.
    pub notes: Vec<Note>,
    /// The repairs on the way in that failed, each its own error with its command and object
    /// (their text is also in `notes`, as `warning: …`); the runs stay open for the next try.
    pub warnings: Errors,
    dry: bool,
    paths: Paths,
    progress: Box<dyn Progress + 'h>,
    _lock: Option<HostLock>,
}

impl<'h> Session<'h> {
    /// Opens a session. A dry run takes no lock and writes nothing, not even vimage's own
    /// database (it reads it read-only, and plans against records rebuilt in memory when they
    /// must be); a real one waits for the host lock, brings the records in line with this boot
    /// (rebuilding them from the kernel's markers when they were lost) and finishes or rolls
    /// back any run a crash left open.
    pub fn open(
        host: &'h mut dyn Host,
        paths: &Paths,
        what: &str,
        dry: bool,
        lock_timeout: Duration,
    ) -> Result<Session<'h>> {
        if dry {
            let kernel = gather::kernel(host)?;
            let (db, notes) = gather::records_for_reading(host, paths, &kernel)?;
            let mut s = Session::assemble(host, db, kernel, dry, paths, None);
            s.notes = notes.into_iter().map(Note::info).collect();
            return Ok(s);
        }
        let lock = HostLock::acquire(&paths.lock_file(), what, lock_timeout)?;
        let db = StateDb::open(&paths.state_db())?;
        let kernel = gather::kernel(host)?;
        let mut s = Session::assemble(host, db, kernel, dry, paths, Some(lock));
        if let Some(r) = gather::resync_facts(s.host, &s.db, &s.kernel, paths)? {
            s.db.resync(s.kernel.boottime, &r.attachments, &r.bridges, &r.macs)?;
            s.notes.extend(r.notes.into_iter().map(Note::info));
        }
        let r = recover::recover(s.host, &s.db, s.kernel.boottime)?;
        s.notes.extend(r.notes.into_iter().map(Note::info));
        for e in r.errors {
            s.notes.push(Note::warning(&e));
            s.warnings.push(e);
        }
        for j in r.teardowns {
            if let Ok(j) = JailName::parse(&j) {
                match s.unbridge(&j) {
                    Ok(d) => s.notes.extend(d.plan.notes.into_iter().map(|n| Note::info(format!("jail {j}: {n}")))),
                    Err(e) => {
                        s.notes.push(Note::warning(format!("finishing the interrupted teardown: {e}")));
                        s.warnings.push(e);
                    }
                }
            }
        }
        for (jail, state, boottime) in s.db.lifecycles()? {
            let Ok(j) = JailName::parse(&jail) else { continue };
            if boottime != s.kernel.boottime {
                s.db.set_lifecycle(&jail, None, boottime)?;
                continue;
            }
            if service::started_jid(&state).is_some() {
                continue;
            }
            s.notes
                .push(Note::info(format!("jail {jail}: the service was interrupted while {state}; removing the jail")));
            if let Err(e) = s.abandon(&j) {
                s.notes.push(Note::warning(&e));
                s.warnings.push(e);
            }
        }
        Ok(s)
    }

    fn assemble(
        host: &'h mut dyn Host,
        db: StateDb,
        kernel: KernelFacts,
        dry: bool,
        paths: &Paths,
        lock: Option<HostLock>,
    ) -> Session<'h> {
        Session {
            host,
            db,
            kernel,
            notes: Vec::new(),
            warnings: Errors::default(),
            dry,
            paths: paths.clone(),
            progress: Box::new(Silent),
            _lock: lock,
        }
    }

    /// From now on, tells `progress` what the session does as it does it. The notes of
    /// [`Session::open`] are in [`Session::notes`] already; later ones go to both.
    pub fn report_to(&mut self, progress: Box<dyn Progress + 'h>) {
        self.progress = progress;
    }

    /// Keeps a note for the final report and tells the front end now.
    fn note(&mut self, n: Note) {
        self.progress.note(&n);
        self.notes.push(n);
    }

    /// Runs `plan`, reporting each step to the session's progress.
    fn apply(&mut self, plan: &Plan) -> Result<Report> {
        exec::apply_with(self.host, plan, &self.db, self.kernel.boottime, &mut *self.progress)
    }

    /// Takes a jail the service was starting or stopping all the way down: its network, then
    /// the jail itself (if it still exists), then the lifecycle mark.
    fn abandon(&mut self, jail: &JailName) -> Result<()> {
        self.unbridge(jail)?;
        let exists = gather::jail(self.host, jail)?.is_some();
        let plan = service::plan_abandon(jail, exists);
        exec::apply(self.host, &plan, &self.db, self.kernel.boottime).map(|_| ())
    }

    /// Runs the compensation of a service start that failed with `e` after its jail was made.
    fn compensate(&mut self, jail: &JailName, how: service::Compensation, e: Error) -> Error {
        match how {
            service::Compensation::Abandon => match self.abandon(jail) {
                Ok(()) => e.detail("the jail was removed again; nothing of this start is left"),
                Err(u) => {
                    e.detail(format!("removing the jail again failed too; `vimage gc` will retry: {u}")).because(u)
                }
            },
        }
    }

    /// The standalone service's start of one vimage: create the vnet jail, give it its
    /// network, run its `exec_start`. Any failure takes the jail all the way down again, so a
    /// vimage is either started completely or not at all.
    pub fn start(&mut self, conf: &VimageConf) -> Result<Vec<Done>> {
        let net = conf.jailnet()?;
        let params = conf.jail_params()?;
        let jail = &conf.name;
        let mut done = Vec::new();
        if let Some(info) = gather::jail(self.host, jail)? {
            if info.dying {
                return Err(Error::jail(Kind::TempFail, jail, "is still dying from its last stop; try again shortly"));
            }
            self.note(Note::info(format!("jail {jail}: already running (jid {}); checking its network", info.jid)));
            if !net.nics.is_empty() {
                done.push(self.bridge(&net)?);
            }
            return Ok(done);
        }
        let start = service::plan_start(jail, params, &conf.exec_start, !net.nics.is_empty());
        if self.dry {
            let mut create = start.create;
            create.notes.push(format!("then the network of {jail}, planned once the jail exists (vimage bridge)"));
            done.push(Done { plan: create, report: None, results: Vec::new() });
            done.push(Done { plan: start.run, report: None, results: Vec::new() });
            return Ok(done);
        }
        self.progress.planned(&start.create);
        let r = self.apply(&start.create)?;
        done.push(Done { plan: start.create.clone(), report: Some(r), results: Vec::new() });
        let rest = (|| -> Result<Vec<Done>> {
            let mut d = Vec::new();
            // Which jail instance the service started, so `vimage stop` knows it is its own.
            let jid = gather::jail(self.host, jail)?
                .map(|i| i.jid)
                .ok_or_else(|| Error::jail(Kind::Os, jail, "jail -c succeeded, but jls does not know the jail"))?;
            if start.bridge {
                d.push(self.bridge(&net)?);
            }
            let run = start.run_as(jid);
            self.progress.planned(&run);
            let r = self.apply(&run)?;
            d.push(Done { plan: run, report: Some(r), results: Vec::new() });
            Ok(d)
        })();
        match rest {
            Ok(d) => {
                done.extend(d);
                Ok(done)
            }
            Err(e) => Err(self.compensate(jail, start.on_failure, e.in_jail(jail))),
        }
    }

    /// The service's stop of one vimage: `exec_stop` (a failure is reported, not fatal),
    /// then its network is taken back before the jail is removed, so renamed interfaces never
    /// come back to the host.
    ///
    /// `exec_stop` is `None` when `jail` is not configured in rc.conf: then only a running jail
    /// that vimage's records say `vimage start` started (this boot, this jail instance) is
    /// stopped, with the default exec_stop; anything else is refused before any change.
    pub fn stop(&mut self, jail: &JailName, exec_stop: Option<&str>) -> Result<Vec<Done>> {
        let mut done = Vec::new();
        let running = gather::jail(self.host, jail)?;
        let exec_stop = match exec_stop {
            Some(e) => e.to_string(),
            None => {
                let ours = running.as_ref().is_some_and(|i| self.started_by_service(jail, i.jid).unwrap_or(false));
                if !ours {
                    return Err(Error::jail(
                        Kind::Usage,
                        jail,
                        "is not a vimage: it is not configured in rc.conf (vimage_list, vimage_NAME_*), \
                         and vimage's records show no running jail of that name started by `vimage start`; nothing was done",
                    )
                    .detail("a jail started another way is stopped that way (service jail stop, cbsd jstop, jail -r)"));
                }
                self.note(Note::info(format!(
                    "jail {jail}: no longer configured in rc.conf, but `vimage start` started it; stopping it with the default exec_stop"
                )));
                crate::rcd::DEFAULT_EXEC_STOP.to_string()
            }
        };
        let exec_stop = exec_stop.as_str();
        if running.is_none() {
            self.note(Note::info(format!("jail {jail}: not running")));
        }
        if !self.dry {
            self.db.set_lifecycle(jail.as_str(), Some(service::STOPPING), self.kernel.boottime)?;
        }
        if let Some(p) = running.as_ref().and_then(|_| service::plan_exec_stop(jail, exec_stop)) {
            if self.dry {
                done.push(Done { plan: p, report: None, results: Vec::new() });
            } else {
                self.progress.planned(&p);
                match self.apply(&p) {
                    Ok(r) => done.push(Done { plan: p, report: Some(r), results: Vec::new() }),
                    Err(e) => self.note(Note::warning(format!("exec_stop failed, stopping anyway: {e}"))),
                }
            }
        }
        let view = gather::for_unbridge(self.host, &self.db, &self.kernel, jail, &self.paths)?;
        let plan = service::plan_stop(jail, &view, running.is_some());
        if self.dry {
            done.push(Done::planned(plan));
            return Ok(done);
        }
        self.progress.planned(&plan);
        let r = self.apply(&plan)?;
        // The host files after the jail is gone: /etc/devfs.rules loses vimage's section
        // with the last jail using it, as with unbridge.
        let results = self.write_files(&plan, &r)?;
        done.push(Done { plan, report: Some(r), results });
        Ok(done)
    }

    /// True when vimage's records say `vimage start` started jail instance `jid` of `jail` in
    /// this boot.
    fn started_by_service(&self, jail: &JailName, jid: u32) -> Result<bool> {
        Ok(self.db.lifecycles()?.iter().any(|(j, st, boot)| {
            j == jail.as_str() && *boot == self.kernel.boottime && service::started_jid(st) == Some(jid)
        }))
    }

    /// Gives `net.jail` the NICs in `net` (or just plans it, in a dry run).
    pub fn bridge(&mut self, net: &JailNet) -> Result<Done> {
        let mut replans = 0;
        loop {
            let view = gather::for_bridge(self.host, &self.db, &self.kernel, net, &self.paths)?;
            let plan = plan_bridge(net, &view)?;
            if !self.dry {
                self.progress.planned(&plan);
            }
            if self.dry || plan.changes_nothing() {
                return Ok(Done::planned(plan));
            }
            for e in &plan.files {
                crate::fsedit::preflight(&self.paths, e).map_err(|err| err.in_jail(&net.jail))?;
            }
            match self.apply(&plan) {
                Ok(r) => {
                    let mut results = self.leases(&plan, &view);
                    for l in &results {
                        self.progress.result(&plan, l);
                    }
                    results.extend(self.write_files(&plan, &r)?);
                    return Ok(Done { plan, report: Some(r), results });
                }
                Err(e) if replans < service::BRIDGE_REPLANS && self.drop_vanished_bridges(&plan, &view)? => {
                    replans += 1;
                    self.note(Note::info(format!(
                        "a recorded bridge had vanished; planned again after: {}",
                        e.message
                    )));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Bridges are trusted from the records (listing a bridge with thousands of members on
    /// every start would make starts O(jails)); when a plan that used one fails, check that
    /// it still exists, and forget it if not.
    fn drop_vanished_bridges(&mut self, plan: &Plan, view: &crate::facts::HostView) -> Result<bool> {
        let mut dropped = false;
        for b in service::recorded_bridges_used(plan, view) {
            let vanished = if b.is_netgraph() {
                // Is the uplink's ng_ether node still hooked to it?
                gather::ng_uplink(self.host, &b.uplink)?.hooks.get("lower").is_none_or(|p| p.name != b.name)
            } else {
                gather::iface(self.host, &b.name)?.is_none_or(|s| !s.is_bridge())
            };
            if vanished {
                self.db.delete_bridge(&b.name)?;
                dropped = true;
            }
        }
        Ok(dropped)
    }

    /// Reloads network `net`'s pf anchor for the jails on it now (after `vimage expose` or
    /// `unexpose` changed `jail`'s forwards), as a journalled run of `jail`; an empty plan when
    /// no jail is on it (the next start loads it) or the anchor holds the rules already.
    pub fn reload_nat(&mut self, jail: &JailName, net: &crate::model::privnet::NetName) -> Result<Done> {
        let mut plan = Plan::new(jail.clone(), Verb::Bridge);
        let defs = crate::facts::privnet::definitions(&self.db, &self.paths)?;
        let def = crate::facts::privnet::definition(&defs, net)?;
        let running = crate::facts::privnet::running(&self.db, &def, self.kernel.boottime)?;
        if running.is_empty() {
            plan.notes.push(format!("network {net}: no jail on it now; its next start loads the forwards"));
            return Ok(Done::planned(plan));
        }
        let bridges = self.db.bridges(self.kernel.boottime)?;
        let nat = crate::facts::privnet::nat_facts(self.host, &self.db, &defs, &bridges, &def, self.kernel.boottime)?;
        let f = crate::facts::privnet::NetFacts { def, bridge: None, leases: Vec::new(), nat };
        crate::plan::privnet::nat_load(&f, &mut plan, &|j| running.iter().any(|r| r == j))
            .map_err(|e| e.in_jail(jail))?;
        if !self.dry {
            self.progress.planned(&plan);
        }
        if self.dry || plan.changes_nothing() {
            return Ok(Done::planned(plan));
        }
        let report = self.apply(&plan)?;
        Ok(Done { plan, report: Some(report), results: Vec::new() })
    }

    /// Removes what vimage made for `jail` (or just plans it, in a dry run).
    pub fn unbridge(&mut self, jail: &JailName) -> Result<Done> {
        let view = gather::for_unbridge(self.host, &self.db, &self.kernel, jail, &self.paths)?;
        let plan = plan_unbridge(jail, &view);
        if !self.dry {
            self.progress.planned(&plan);
        }
        if self.dry || plan.changes_nothing() {
            return Ok(Done::planned(plan));
        }
        let report = self.apply(&plan)?;
        let results = self.write_files(&plan, &report)?;
        Ok(Done { plan, report: Some(report), results })
    }

    /// Gives `jail`'s /dev vimage's devfs ruleset (number `want`, or vimage's choice), and
    /// nothing else: `vimage devfs`.
    pub fn devfs(&mut self, jail: &JailName, want: Option<u16>) -> Result<Done> {
        let view = gather::for_devfs(self.host, &self.db, &self.kernel, jail, want, &self.paths)?;
        let info = match view.jail.as_ref() {
            Some(i) if !i.dying => i.clone(),
            _ => {
                return Err(Error::jail(Kind::Unavailable, jail, "is not running: jls knows no jail of that name")
                    .detail("vimage gives a running jail's /dev its ruleset; start the jail first"));
            }
        };
        let mut plan = Plan::new(jail.clone(), Verb::Devfs);
        let n = crate::plan::devfs::plan_use(&mut plan, jail, &info, &view, want)?;
        if plan.changes_nothing() {
            plan.notes.push(format!("devfs: ruleset {n} is in place for {}; nothing to do", info.dev_mount()));
        }
        if !self.dry {
            self.progress.planned(&plan);
        }
        if self.dry || plan.changes_nothing() {
            return Ok(Done::planned(plan));
        }
        for e in &plan.files {
            crate::fsedit::preflight(&self.paths, e).map_err(|err| err.in_jail(jail))?;
        }
        let report = self.apply(&plan)?;
        let results = self.write_files(&plan, &report)?;
        Ok(Done { plan, report: Some(report), results })
    }

    /// After a run that started dhclient: the lease each NIC got (or that it got none yet).
    fn leases(&mut self, plan: &Plan, view: &crate::facts::HostView) -> Vec<String> {
        let nics: Vec<(u32, String)> = plan
            .steps
            .iter()
            .filter_map(|s| match &s.op {
                Op::Dhclient { jid, iface, .. } => Some((*jid, iface.to_string())),
                _ => None,
            })
            .collect();
        let Some(&(jid, _)) = nics.first() else { return Vec::new() };
        let live = gather::jail_ifaces(self.host, &view.kernel, jid).unwrap_or_default();
        nics.iter()
            .map(|(_, n)| match live.iter().find(|i| i.name == *n).and_then(|i| i.inet_cidr.first()) {
                Some((a, p)) => format!("{n}: DHCP lease {a}/{p}"),
                None => format!("{n}: no DHCP lease yet: no server answered; dhclient keeps trying inside the jail"),
            })
            .collect()
    }

    /// Makes the plan's file edits, now that its kernel part is done. Every edit is tried, so
    /// one damaged file keeps no other from being written; the ones that failed are reported
    /// together (73), each with what was not done to its file and why, after the kernel part
    /// (which a file never blocks: a teardown must not leak because a file is damaged).
    fn write_files(&mut self, plan: &Plan, report: &Report) -> Result<Vec<String>> {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for e in &plan.files {
            match crate::fsedit::apply(&self.paths, e) {
                Ok(true) => {
                    for d in e.describe() {
                        let line = format!("wrote {d}");
                        self.progress.result(plan, &line);
                        done.push(line);
                    }
                }
                Ok(false) => {}
                Err(err) => failed.push((e, err)),
            }
        }
        if failed.is_empty() {
            return Ok(done);
        }
        let n = report.commands.len();
        let kernel = if plan.verb.is_setup() {
            format!("the kernel changes are in place and recorded ({n} command(s) ran)")
        } else {
            format!("the kernel teardown is complete ({n} command(s) ran)")
        };
        let mut err =
            Error::jail(Kind::CantCreate, &plan.jail, format!("{kernel}, but a host file could not be edited"));
        for (e, why) in &failed {
            for line in e.describe() {
                err = err.detail(format!("not done: {line}"));
            }
            err = err.detail(format!("  because {}", why.message));
            let file = match e {
                crate::plan::FileEdit::DevfsRules { .. } => crate::facts::devfs::RULES_PATH.to_string(),
                crate::plan::FileEdit::RcConf { shown, .. } | crate::plan::FileEdit::Resolv { shown, .. } => {
                    shown.clone()
                }
            };
            err = err.because(why.clone().in_jail(&plan.jail).about(crate::error::Object::file(file)));
        }
        for d in done {
            err = err.detail(format!("done: {d}"));
        }
        let devfs_removal = failed.iter().any(|(e, _)| matches!(e, crate::plan::FileEdit::DevfsRules { set: None }));
        let hint = if devfs_removal && failed.len() == 1 {
            "fix the file, then `vimage gc` takes vimage's section out of it (or delete the section by hand)"
        } else if plan.verb.is_setup() {
            "fix the file, then run the same command again: it writes only what is missing"
        } else {
            "fix the file, then make the edit by hand (the records no longer name it)"
        };
        Err(err.detail(hint))
    }
}

/// What `gc` found and did.
#[derive(Debug, Default)]
pub struct GcDone {
    /// Everything the scan classified, removable or not, for the report.
    pub orphans: crate::plan::gc::Orphans,
    /// The teardown plans built from them (run unless this was a dry run).
    pub plans: Vec<Plan>,
    /// Every removal that failed, each its own error (a jail's teardown with the failed steps
    /// it sums up); gc keeps going past them.
    pub errors: Errors,
}

impl Session<'_> {
    /// Removes every removable orphan and forgets every record that describes nothing. One
    /// scan of group `vimage` and one `jls`; each jail's share is its own journalled run.
    pub fn gc(&mut self) -> Result<GcDone> {
        let f = gather::inventory(self.host, &self.db, &self.kernel, None)?;
        let seen = crate::plan::inventory::Seen::of(&f, self.kernel.boottime);
        let orphans = crate::plan::gc::of(&seen, &crate::plan::inventory::judge(&seen));
        let mut plans = crate::plan::gc::plans(&orphans);
        let mut errors = Errors::default();
        if !self.dry {
            for p in &plans {
                if let Err(e) = self.apply(p) {
                    errors.push(gc_error(p, e));
                }
            }
        }
        // A netgraph NIC comes off its ng_bridge (which goes with its last link, restoring the
        // uplink's ng_ether flags) exactly as unbridge takes it: run the jail's unbridge.
        let ng_jails: std::collections::BTreeSet<&str> =
            orphans.objects.iter().filter(|o| o.is_netgraph_nic()).filter_map(|o| o.jail.as_deref()).collect();
        for jail in ng_jails {
            let Ok(name) = JailName::parse(jail) else { continue };
            match self.unbridge(&name) {
                Ok(done) => plans.push(done.plan),
                Err(e) => errors.push(e),
            }
        }
        match self.stale_nat_anchors(&plans) {
            Ok(Some(p)) => {
                if !self.dry
                    && let Err(e) = self.apply(&p)
                {
                    errors.push(gc_error(&p, e));
                }
                plans.push(p);
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
        let mut orphans = orphans;
        match self.stale_devfs_section() {
            Ok(Some(p)) => {
                if !self.dry {
                    let r = self.apply(&p).map_err(|e| gc_error(&p, e))?;
                    if let Err(e) = self.write_files(&p, &r) {
                        errors.push(gc_error(&p, e));
                    }
                }
                plans.push(p);
            }
            Ok(None) => {}
            Err(e) => orphans.objects.push(crate::plan::gc::Orphan {
                object: crate::facts::devfs::RULES_PATH.into(),
                marker: format!("[{}=…]", crate::devfs::SECTION),
                jail: None,
                reason: format!("cannot tell whether vimage's section is stale: {}", e.message),
                removable: false,
            }),
        }
        Ok(GcDone { orphans, plans, errors })
    }

    /// The anchors of NAT networks that no bridge of vimage's serves any more (after `done`,
    /// the plans gc ran or would run): flushed, and forwarding put back when vimage set it
    /// and no NAT network keeps a bridge ([`crate::plan::privnet::nat_down`]). What a
    /// teardown that was killed or a bridge destroyed by hand leaves behind. Costs one
    /// `pfctl -s` pair per NAT network without a bridge, and nothing without NAT networks.
    fn stale_nat_anchors(&mut self, done: &[Plan]) -> Result<Option<Plan>> {
        let defs: Vec<_> =
            crate::facts::privnet::definitions(&self.db, &self.paths)?.into_iter().filter(|d| d.nat.is_on()).collect();
        if defs.is_empty() {
            return Ok(None);
        }
        let gone: std::collections::BTreeSet<String> = done
            .iter()
            .flat_map(|p| p.steps.iter().flat_map(|s| s.effects.iter()).chain(p.effects.iter()))
            .filter_map(|e| match e {
                crate::plan::Effect::BridgeGone { name } => Some(name.clone()),
                _ => None,
            })
            .collect();
        let live: Vec<_> =
            self.db.bridges(self.kernel.boottime)?.into_iter().filter(|b| !gone.contains(&b.name)).collect();
        let mut nets = Vec::new();
        for d in &defs {
            if live.iter().any(|b| b.uplink == d.name.uplink()) {
                continue;
            }
            let nat = crate::facts::privnet::nat_facts(self.host, &self.db, &defs, &live, d, self.kernel.boottime)?;
            nets.push(crate::facts::privnet::NetFacts { def: d.clone(), bridge: None, leases: Vec::new(), nat });
        }
        Ok(crate::plan::gc::stale_nat_anchors(&nets))
    }

    /// vimage's section of /etc/devfs.rules, when nothing uses it any more (see
    /// [`crate::plan::gc::stale_devfs_section`]). Costs one `devfs rule showsets`, and only
    /// when the file has the section and no jail is recorded as using it.
    fn stale_devfs_section(&mut self) -> Result<Option<Plan>> {
        let users = self.db.devfs_users()?.len();
        if users > 0 {
            return Ok(None);
        }
        let Some(text) = crate::facts::devfs::read_host_file(&self.paths, crate::facts::devfs::RULES_PATH)? else {
            return Ok(None);
        };
        if crate::devfs::rules::RulesFile::parse(&text).ours().is_none() {
            return Ok(None);
        }
        let loaded = crate::facts::devfs::loaded_sets(self.host)?;
        Ok(crate::plan::gc::stale_devfs_section(&text, users, &loaded))
    }
}

/// The default wait for the host lock.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// The wait for the host lock: `VIMAGE_LOCK_TIMEOUT` seconds, else [`LOCK_TIMEOUT`]. Boot
/// scripts starting many jails in parallel may want it longer; tests want it short.
pub fn lock_timeout_from_env() -> Duration {
    lock_timeout_from(std::env::var("VIMAGE_LOCK_TIMEOUT").ok().as_deref())
}

/// The wait for the host lock given `VIMAGE_LOCK_TIMEOUT`'s value (unset or not a number of
/// seconds: [`LOCK_TIMEOUT`]).
pub fn lock_timeout_from(v: Option<&str>) -> Duration {
    // try_from: a huge value (1e300) is not a duration; from_secs_f64 would panic on it.
    v.and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .unwrap_or(LOCK_TIMEOUT)
}

/// Refuses to run the real FreeBSD backend where it cannot work, with what to do instead.
pub fn check_platform(cmd_dir_set: bool) -> Result<()> {
    if cfg!(target_os = "freebsd") || cmd_dir_set {
        return Ok(());
    }
    let e = Error::new(Kind::Unavailable, "this is not FreeBSD, so there is no kernel for vimage to configure");
    if !cfg!(feature = "simulator") {
        return Err(e.detail("point VIMAGE_CMD_DIR at a directory of stand-in commands (this build has no simulator)"));
    }
    Err(e
        .detail("try `vimage demo`, or `vimage --simulate=STATE.json <command>` for the built-in simulated host,")
        .detail("or point VIMAGE_CMD_DIR at a directory of stand-in commands (e.g. fbsd-sim)"))
}

/// An error of gc's plan `p`: a plan for no jail (the bridges no jail uses, vimage's section
/// of /etc/devfs.rules) runs under the journal's name [`crate::plan::gc::GC_SCOPE`], which
/// its errors never show: they are about no jail, as `doctor fix=1`'s are (each failure it
/// sums up too, so `gc --json`'s `failures[].jail` is null for them).
fn gc_error(p: &Plan, e: Error) -> Error {
    fn no_jail(mut e: Error) -> Error {
        e.jail = None;
        e.errors = Errors(e.errors.0.into_iter().map(no_jail).collect());
        e
    }
    if crate::plan::gc::for_no_jail(p) { no_jail(e) } else { e }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_timeout_takes_seconds_and_never_panics_on_odd_values() {
        assert_eq!(lock_timeout_from(Some(" 1.5 ")), Duration::from_millis(1500));
        assert_eq!(lock_timeout_from(Some("0")), Duration::ZERO);
        for odd in ["1e300", "-1", "NaN", "inf", "x", ""] {
            assert_eq!(lock_timeout_from(Some(odd)), LOCK_TIMEOUT, "{odd}");
        }
        assert_eq!(lock_timeout_from(None), LOCK_TIMEOUT);
    }
}
