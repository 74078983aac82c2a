//! devfs rulesets and mounts (sys/fs/devfs/devfs_rule.c): numbered rulesets of rules, devfs
//! mounts with an active ruleset, and which device nodes each mount shows.
//!
//! Modelled: `DEVFSIO_RADD` (auto-numbering by 100, EEXIST, ESRCH for an include of a missing
//! set, EIO for set 0), `RDEL`, `SUSE` (creates the set), `SAPPLY` (ESRCH), reaping of empty
//! unreferenced sets, include reference counts, `vfs.devfs.rule_depth` = 1 (an included set's
//! own includes are not followed), `priv_check(PRIV_DEVFS_RULE)` failing in a jail. Devices are
//! a fixed list of names; applying a rule hides or unhides the matching ones (`fnmatch` with
//! FNM_PATHNAME). Ownership and mode actions are kept but have no effect here.

use super::Kernel;
use super::cred::Ctx;
use crate::Errno;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Device nodes every devfs mount of the simulated host has (`bpf0` is bpf's alias).
pub(crate) const DEVICES: &[&str] = &[
    "bpf", "bpf0", "console", "crypto", "devctl", "fd", "fd/0", "fd/1", "fd/2", "fuse", "io", "kmem", "mdctl", "mem",
    "null", "pf", "ptmx", "pts", "random", "stderr", "stdin", "stdout", "ttyv0", "urandom", "zero", "zfs",
];

/// `vfs.devfs.rule_depth` default (sys/fs/devfs/devfs_devs.c).
const RULE_DEPTH: u32 = 1;

/// One rule (`struct devfs_rule`): conditions and actions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DevRule {
    /// `type disk|mem|tape|tty`: device types are not modelled, so such a rule matches nothing.
    pub dev_type: Option<String>,
    /// `path PATTERN`.
    pub path: Option<String>,
    /// `hide`.
    pub hide: bool,
    /// `unhide`.
    pub unhide: bool,
    /// `user U` (kept, no effect here).
    pub user: Option<String>,
    /// `group G` (kept, no effect here).
    pub group: Option<String>,
    /// `mode M` (kept, no effect here).
    pub mode: Option<String>,
    /// `include N`.
    pub include: Option<u16>,
}

impl DevRule {
    /// rule.c `rulespec_outfp`, without the leading number.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(t) = &self.dev_type {
            s.push_str(&format!(" type {t}"));
        }
        if let Some(p) = &self.path {
            s.push_str(&format!(" path {p}"));
        }
        if self.hide {
            s.push_str(" hide");
        }
        if self.unhide {
            s.push_str(" unhide");
        }
        if let Some(u) = &self.user {
            s.push_str(&format!(" user {u}"));
        }
        if let Some(g) = &self.group {
            s.push_str(&format!(" group {g}"));
        }
        if let Some(m) = &self.mode {
            s.push_str(&format!(" mode {m}"));
        }
        if let Some(i) = self.include {
            s.push_str(&format!(" include {i}"));
        }
        s
    }
}

/// A ruleset: rules by number, and how many mounts and includes refer to it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RuleSet {
    /// Rules by number, run in that order.
    pub rules: BTreeMap<u16, DevRule>,
    /// Mounts using it plus rules including it; an empty set with none is reaped.
    pub refcount: u32,
}

/// A devfs mount: its active ruleset and the device names it hides.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DevMount {
    /// The active ruleset (0: none).
    pub ruleset: u16,
    /// Device names hidden on this mount.
    pub hidden: BTreeSet<String>,
}

/// The devfs state of the machine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Devfs {
    /// Loaded rulesets by number.
    pub sets: BTreeMap<u16, RuleSet>,
    /// Mount point (`/dev`, `/usr/jails/jails/web1/dev`) → mount.
    pub mounts: BTreeMap<String, DevMount>,
}

/// `fnmatch(pattern, name, FNM_PATHNAME)`: `*` and `?` never match `/`.
fn match_path(pattern: &str, name: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let n: Vec<&str> = name.split('/').collect();
    p.len() == n.len() && p.iter().zip(&n).all(|(a, b)| crate::fnmatch::fnmatch(a, b))
}

impl Devfs {
    fn reap(&mut self, n: u16) {
        if self.sets.get(&n).is_some_and(|s| s.rules.is_empty() && s.refcount == 0) {
            self.sets.remove(&n);
        }
    }

    fn run_set(&self, set: u16, dev: &str, depth: u32, hidden: &mut bool) {
        let Some(s) = self.sets.get(&set) else { return };
        for r in s.rules.values() {
            let matches = r.dev_type.is_none() && r.path.as_deref().is_none_or(|p| match_path(p, dev));
            if !matches {
                continue;
            }
            if r.hide {
                *hidden = true;
            }
            if r.unhide {
                *hidden = false;
            }
            if let Some(i) = r.include
                && depth > 0
            {
                self.run_set(i, dev, depth - 1, hidden);
            }
        }
    }

    fn apply(&mut self, set: u16, mount: &str) {
        let Some(m) = self.mounts.get(mount) else { return };
        let mut hidden = m.hidden.clone();
        for d in DEVICES {
            let mut h = hidden.contains(*d);
            self.run_set(set, d, RULE_DEPTH, &mut h);
            if h {
                hidden.insert(d.to_string());
            } else {
                hidden.remove(*d);
            }
        }
        if let Some(m) = self.mounts.get_mut(mount) {
            m.hidden = hidden;
        }
    }

    fn use_set(&mut self, set: u16, mount: &str) {
        let Some(old) = self.mounts.get(mount).map(|m| m.ruleset) else { return };
        if old != 0 {
            if let Some(s) = self.sets.get_mut(&old) {
                s.refcount = s.refcount.saturating_sub(1);
            }
            self.reap(old);
        }
        if set != 0 {
            self.sets.entry(set).or_default().refcount += 1;
        }
        if let Some(m) = self.mounts.get_mut(mount) {
            m.ruleset = set;
        }
    }
}

impl Kernel {
    fn devfs_priv(&self, ctx: Ctx) -> Result<(), Errno> {
        if ctx.jailed() { Err(Errno::EPERM) } else { Ok(()) }
    }

    fn devfs_mount_set(&self, mount: &str, set: u16) -> Result<u16, Errno> {
        let m = self.devfs.mounts.get(mount).ok_or(Errno::ENOTTY)?;
        Ok(if set == 0 { m.ruleset } else { set })
    }

    /// True when `path` is a devfs mount point (what `open(2)` + the devfs ioctls need).
    pub(crate) fn devfs_is_mount(&self, path: &str) -> bool {
        self.devfs.mounts.contains_key(path)
    }

    /// Mounts devfs on `path` with ruleset `set` applied (mount(8) `-o ruleset=N`, as jail(8)
    /// does for `mount.devfs`). Part of the operation that calls it; not counted on its own.
    pub(crate) fn devfs_mount(&mut self, path: &str, set: u16) {
        self.devfs.mounts.insert(path.to_string(), DevMount::default());
        if set != 0 {
            self.devfs.use_set(set, path);
            self.devfs.apply(set, path);
        }
    }

    /// Unmounts a devfs mount (`devfs_rules_cleanup`: drops its reference on the ruleset).
    pub(crate) fn devfs_unmount(&mut self, path: &str) {
        if self.devfs.mounts.contains_key(path) {
            self.devfs.use_set(0, path);
            self.devfs.mounts.remove(path);
        }
    }

    /// `DEVFSIO_RADD`: adds `rule` as rule `rnum` (0 = autonumber: last + 100) of `set` (0 =
    /// the mount's ruleset). Returns the rule number.
    pub(crate) fn devfs_rule_add(
        &mut self,
        ctx: Ctx,
        mount: &str,
        set: u16,
        rnum: u16,
        rule: DevRule,
    ) -> Result<u16, Errno> {
        self.begin_op()?;
        self.devfs_priv(ctx)?;
        let set = self.devfs_mount_set(mount, set)?;
        if let Some(s) = self.devfs.sets.get(&set)
            && rnum != 0
            && s.rules.contains_key(&rnum)
        {
            return Err(Errno::EEXIST);
        }
        if set == 0 {
            return Err(Errno::EIO);
        }
        if let Some(i) = rule.include
            && !self.devfs.sets.contains_key(&i)
        {
            return Err(Errno::ESRCH);
        }
        let s = self.devfs.sets.entry(set).or_default();
        let n = if rnum != 0 {
            rnum
        } else {
            match s.rules.keys().next_back() {
                None => 100,
                Some(&last) => match last.checked_add(100) {
                    Some(n) => n,
                    None => {
                        self.devfs.reap(set);
                        return Err(Errno::ERANGE);
                    }
                },
            }
        };
        let inc = rule.include;
        s.rules.insert(n, rule);
        if let Some(i) = inc
            && let Some(is) = self.devfs.sets.get_mut(&i)
        {
            is.refcount += 1;
        }
        Ok(n)
    }

    /// `DEVFSIO_RDEL`: ENOENT when there is no such rule.
    pub(crate) fn devfs_rule_del(&mut self, ctx: Ctx, mount: &str, set: u16, rnum: u16) -> Result<(), Errno> {
        self.begin_op()?;
        self.devfs_priv(ctx)?;
        let set = self.devfs_mount_set(mount, set)?;
        let rule = self.devfs.sets.get_mut(&set).and_then(|s| s.rules.remove(&rnum)).ok_or(Errno::ENOENT)?;
        if let Some(i) = rule.include {
            if let Some(is) = self.devfs.sets.get_mut(&i) {
                is.refcount = is.refcount.saturating_sub(1);
            }
            self.devfs.reap(i);
        }
        self.devfs.reap(set);
        Ok(())
    }

    /// `DEVFSIO_RGETNEXT` walked to the end: the rules of `set` (0 = the mount's), or ENOENT
    /// when the set does not exist (which `delset` and `show` take as "empty").
    pub(crate) fn devfs_rules(&self, ctx: Ctx, mount: &str, set: u16) -> Result<Vec<(u16, DevRule)>, Errno> {
        self.devfs_priv(ctx)?;
        let set = self.devfs_mount_set(mount, set)?;
        let s = self.devfs.sets.get(&set).ok_or(Errno::ENOENT)?;
        Ok(s.rules.iter().map(|(n, r)| (*n, r.clone())).collect())
    }

    /// `DEVFSIO_SGETNEXT` walked to the end: every ruleset number.
    pub(crate) fn devfs_sets(&self, ctx: Ctx, mount: &str) -> Result<Vec<u16>, Errno> {
        self.devfs_priv(ctx)?;
        self.devfs_mount_set(mount, 0)?;
        Ok(self.devfs.sets.keys().copied().collect())
    }

    /// `DEVFSIO_SUSE`: makes `set` the mount's ruleset (creating it empty if needed).
    pub(crate) fn devfs_use(&mut self, ctx: Ctx, mount: &str, set: u16) -> Result<(), Errno> {
        self.begin_op()?;
        self.devfs_priv(ctx)?;
        self.devfs_mount_set(mount, 0)?;
        self.devfs.use_set(set, mount);
        Ok(())
    }

    /// `DEVFSIO_SAPPLY`: runs `set` (0 = the mount's) over the mount's devices; ESRCH when the
    /// set does not exist.
    pub(crate) fn devfs_applyset(&mut self, ctx: Ctx, mount: &str, set: u16) -> Result<(), Errno> {
        self.begin_op()?;
        self.devfs_priv(ctx)?;
        let set = self.devfs_mount_set(mount, set)?;
        if !self.devfs.sets.contains_key(&set) {
            return Err(Errno::ESRCH);
        }
        self.devfs.apply(set, mount);
        Ok(())
    }

    /// The devfs mount a process in `ctx` sees as `/dev`: the host's, or its jail's
    /// `<path>/dev` (absent when the jail has no devfs mounted).
    pub(crate) fn dev_mount_of(&self, ctx: Ctx) -> Option<String> {
        match ctx.jail {
            None => Some("/dev".to_string()),
            Some(j) => {
                let path = self.jail(j)?.path.trim_end_matches('/').to_string();
                let m = format!("{path}/dev");
                self.devfs.mounts.contains_key(&m).then_some(m)
            }
        }
    }

    /// `open("/dev/<dev>")` as a process in `ctx`: ENOENT when there is no /dev or the node is
    /// hidden there.
    pub(crate) fn dev_open(&self, ctx: Ctx, dev: &str) -> Result<(), Errno> {
        let m = self.dev_mount_of(ctx).ok_or(Errno::ENOENT)?;
        let visible = self.devfs.mounts.get(&m).is_some_and(|mm| !mm.hidden.contains(dev));
        if visible && DEVICES.contains(&dev) { Ok(()) } else { Err(Errno::ENOENT) }
    }

    /// Device names visible on the devfs mount `path` (`ls <path>`), for tests.
    pub fn devfs_visible(&self, path: &str) -> Option<Vec<String>> {
        let m = self.devfs.mounts.get(path)?;
        Some(DEVICES.iter().filter(|d| !m.hidden.contains(**d)).map(|d| d.to_string()).collect())
    }

    /// The rules of ruleset `n` as `devfs rule -s n show` prints them, for tests.
    pub fn devfs_show(&self, n: u16) -> Option<Vec<String>> {
        let s = self.devfs.sets.get(&n)?;
        Some(s.rules.iter().map(|(k, r)| format!("{k}{}", r.describe())).collect())
    }

    /// The active ruleset of the devfs mount `path`, for tests.
    pub fn devfs_mount_ruleset(&self, path: &str) -> Option<u16> {
        self.devfs.mounts.get(path).map(|m| m.ruleset)
    }

    /// Loads a devfs.rules(5) text the way rc.subr's `devfs_rulesets_from_file` does at boot
    /// (`delset` per section, `$name` expanded, quotes removed), without counting operations.
    /// Fixture for the stock rulesets and for tests that start from a custom file.
    pub fn load_devfs_rules(&mut self, text: &str) {
        let mut names: BTreeMap<String, u16> = BTreeMap::new();
        let mut cur: Option<u16> = None;
        for raw in text.lines() {
            let line = raw.trim_matches([' ', '\t', '\r']);
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            if let Some(h) = vimage_base::devfs_rules::header(line) {
                cur = h.number;
                if let Some(n) = h.number {
                    names.insert(h.name, n);
                    let rules: Vec<u16> =
                        self.devfs.sets.get(&n).map(|s| s.rules.keys().copied().collect()).unwrap_or_default();
                    for r in rules {
                        let _ = self.devfs_rule_del_raw(n, r);
                    }
                }
                continue;
            }
            let Some(set) = cur else { continue };
            let words: Vec<String> = line
                .split_whitespace()
                .map(|w| {
                    let w = w.replace('\'', "");
                    match w.strip_prefix('$') {
                        Some(v) => names.get(v).map_or(String::new(), |n| n.to_string()),
                        None => w,
                    }
                })
                .collect();
            if words.first().map(String::as_str) != Some("add") {
                continue;
            }
            if let Ok((rnum, rule)) = parse_rule(&words[1..]) {
                let _ = self.devfs_rule_add_raw(set, rnum, rule);
            }
        }
    }

    fn devfs_rule_add_raw(&mut self, set: u16, rnum: u16, rule: DevRule) -> Result<(), Errno> {
        if let Some(i) = rule.include {
            self.devfs.sets.get_mut(&i).ok_or(Errno::ESRCH)?.refcount += 1;
        }
        let s = self.devfs.sets.entry(set).or_default();
        let n = if rnum != 0 { rnum } else { s.rules.keys().next_back().map_or(100, |l| l.saturating_add(100)) };
        s.rules.insert(n, rule);
        Ok(())
    }

    fn devfs_rule_del_raw(&mut self, set: u16, rnum: u16) -> Option<()> {
        let rule = self.devfs.sets.get_mut(&set)?.rules.remove(&rnum)?;
        if let Some(i) = rule.include {
            if let Some(is) = self.devfs.sets.get_mut(&i) {
                is.refcount = is.refcount.saturating_sub(1);
            }
            self.devfs.reap(i);
        }
        self.devfs.reap(set);
        Some(())
    }
}

/// rule.c `rulespec_intok`: `[rnum] [type T] [path P] action...`. Errors are the texts of its
/// `errx` calls.
pub(crate) fn parse_rule(av: &[String]) -> Result<(u16, DevRule), String> {
    let mut i = 0;
    if av.is_empty() {
        return Err("unexpected end of rulespec".into());
    }
    let mut rnum = 0u16;
    if let Some(n) = atonum(&av[0]) {
        rnum = n;
        i += 1;
    }
    let mut r = DevRule::default();
    let arg = |i: usize, what: &str| av.get(i + 1).cloned().ok_or_else(|| format!("expecting argument for {what}"));
    loop {
        match av.get(i).map(String::as_str) {
            Some("type") => {
                let t = arg(i, "type")?;
                if !["disk", "mem", "tape", "tty"].contains(&t.as_str()) {
                    return Err(format!("unknown type: {t}"));
                }
                r.dev_type = Some(t);
                i += 2;
            }
            Some("path") => {
                r.path = Some(arg(i, "path")?);
                i += 2;
            }
            _ => break,
        }
    }
    while let Some(w) = av.get(i) {
        match w.as_str() {
            "hide" => r.hide = true,
            "unhide" => r.unhide = true,
            "user" => {
                r.user = Some(arg(i, "user")?);
                i += 1;
            }
            "group" => {
                r.group = Some(arg(i, "group")?);
                i += 1;
            }
            "mode" => {
                r.mode = Some(arg(i, "mode")?);
                i += 1;
            }
            "include" => {
                let v = arg(i, "include")?;
                r.include = Some(atonum(&v).ok_or_else(|| format!("error converting to number: {v}"))?);
                i += 1;
            }
            other => return Err(format!("unknown argument: {other}")),
        }
        i += 1;
    }
    Ok((rnum, r))
}

/// devfs.c `atonum`: a decimal that fits 16 bits, nothing else.
pub(crate) fn atonum(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        // strtoul accepts leading blanks and a sign; devfs users never rely on that.
        return None;
    }
    s.parse::<u32>().ok().and_then(|v| u16::try_from(v).ok())
}
