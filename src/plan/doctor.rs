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

pub use crate::naming::{PF_FILTER_LINE, PF_TRANSLATION_LINES};

/// The comment above each block of lines `doctor fix=1 pf=1` adds to /etc/pf.conf, so the
/// admin knows whose they are (as devfs.rules' section marker).
pub const PF_MARKER: &str = "# managed by vimage(8): its private networks' NAT and port forwards live in anchors below vimage/ (vimage doctor fix=1 pf=1)";

/// The pf.conf(5) section a statement belongs to, by its first word (parse.y
/// `check_rulestate`: options, normalization, queueing, translation, filtering); `None`
/// for what may stand anywhere (macros, tables, comments, blank lines).
fn pf_section(statement: &str) -> Option<u8> {
    let t = statement.split('#').next().unwrap_or("").trim();
    let mut w = t.split_whitespace();
    let first = w.next()?;
    if w.next() == Some("=") || t.contains('=') && !t.contains(' ') {
        return None;
    }
    Some(match first {
        "set" => 0,
        "scrub" => 1,
        "altq" | "queue" => 2,
        "nat" | "rdr" | "binat" | "nat-anchor" | "rdr-anchor" | "binat-anchor" | "no" => 3,
        "pass" | "block" | "anchor" | "antispoof" | "match" => 4,
        _ => return None,
    })
}

/// True when `statement` is `line` (`nat-anchor "vimage/*"`) as an admin may spell it:
/// quoted or not, with `all` or a comment after it.
fn is_line(statement: &str, line: &str) -> bool {
    let norm = |s: &str| {
        let s = s.split('#').next().unwrap_or("");
        let mut w: Vec<String> = s.split_whitespace().map(|x| x.trim_matches('"').to_string()).collect();
        if w.last().map(String::as_str) == Some("all") {
            w.pop();
        }
        w
    };
    norm(statement) == norm(line)
}

/// What `doctor fix=1 pf=1` does to /etc/pf.conf: the new text and the lines it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfConfEdit {
    /// The whole new file: every line the admin wrote stays, byte for byte.
    pub text: String,
    /// The lines added (without the marker comments), in file order.
    pub added: Vec<String>,
}

/// Adds to pf.conf text `old` the anchor lines it lacks, each block under [`PF_MARKER`]:
/// the translation lines after the last translation statement, or, without one, before the
/// first filter statement (and the comment lines right above it), or at the end; the filter
/// line at the end (pf's last match wins, so rules vimage may put in its anchor come after
/// the admin's). `None` when nothing is missing. Lines keep their terminators (CRLF stays
/// CRLF); a last line without a newline gets one before anything is appended.
pub fn pf_conf_add(old: &str) -> Option<PfConfEdit> {
    use vimage_base::lines::{Line, dominant_eol, render, split};
    let mut lines = split(old);
    let eol = dominant_eol(&lines);
    // Logical statements: (first physical line, last physical line, joined text).
    let mut stmts: Vec<(usize, usize, String)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        let mut text = String::new();
        while lines[i].text.ends_with('\\') && i + 1 < lines.len() {
            text.push_str(lines[i].text.trim_end_matches('\\'));
            text.push(' ');
            i += 1;
        }
        text.push_str(&lines[i].text);
        stmts.push((start, i, text));
        i += 1;
    }
    let has = |l: &str| stmts.iter().any(|(_, _, t)| is_line(t, l));
    let missing_tr: Vec<&str> = PF_TRANSLATION_LINES.iter().copied().filter(|l| !has(l)).collect();
    let missing_filter = !has(PF_FILTER_LINE);
    if missing_tr.is_empty() && !missing_filter {
        return None;
    }
    let block = |ls: &[&str]| -> Vec<Line> {
        std::iter::once(PF_MARKER).chain(ls.iter().copied()).map(|t| Line { text: t.to_string(), eol }).collect()
    };
    let mut added = Vec::new();
    let terminate_last = |lines: &mut Vec<Line>| {
        if let Some(last) = lines.last_mut()
            && last.eol.is_empty()
        {
            last.eol = eol;
        }
    };
    if !missing_tr.is_empty() {
        let last_tr = stmts.iter().rev().find(|(_, _, t)| pf_section(t) == Some(3)).map(|(_, e, _)| e + 1);
        let first_filter = stmts.iter().find(|(_, _, t)| pf_section(t) == Some(4)).map(|(s, _, _)| {
            let mut at = *s;
            while at > 0 && lines[at - 1].text.trim_start().starts_with('#') {
                at -= 1;
            }
            at
        });
        let at = last_tr.or(first_filter).unwrap_or(lines.len());
        if at == lines.len() || lines[at.saturating_sub(1)].eol.is_empty() {
            terminate_last(&mut lines);
        }
        lines.splice(at..at, block(&missing_tr));
        added.extend(missing_tr.iter().map(|s| s.to_string()));
    }
    if missing_filter {
        terminate_last(&mut lines);
        lines.extend(block(&[PF_FILTER_LINE]));
        added.push(PF_FILTER_LINE.to_string());
    }
    Some(PfConfEdit { text: render(&lines), added })
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

    /// A realistic pf.conf (pf.conf(5) EXAMPLES' shape): every byte the admin wrote stays,
    /// translation lines go after the last nat/rdr, the filter anchor at the end.
    #[test]
    fn pf_conf_gets_the_missing_lines_in_section_order_and_keeps_every_other_byte() {
        let old = "# pf.conf of fw1\next_if = \"em0\"\nint_net = \"192.168.5.0/24\"\ntable <bad> persist\n\
                   set skip on lo0\nscrub in\n\nnat on $ext_if from $int_net to any -> ($ext_if)\n\
                   rdr on $ext_if proto tcp from any to any port 2222 -> 192.168.5.3 port 22\n\n\
                   # filtering\nblock in all\npass out all keep state\npass in on $ext_if proto tcp to port ssh\n";
        let e = pf_conf_add(old).expect("lines are missing");
        let want = old
            .replace("port 22\n", &format!("port 22\n{PF_MARKER}\nnat-anchor \"vimage/*\"\nrdr-anchor \"vimage/*\"\n"))
            + &format!("{PF_MARKER}\nanchor \"vimage/*\"\n");
        assert_eq!(e.text, want);
        assert_eq!(e.added, ["nat-anchor \"vimage/*\"", "rdr-anchor \"vimage/*\"", "anchor \"vimage/*\""]);
        assert_eq!(pf_conf_add(&e.text), None, "idempotent");
    }

    #[test]
    fn without_translation_the_lines_go_before_the_first_filter_rule_and_its_comment() {
        let old = "set skip on lo0\r\nscrub in all\r\n# let it all out\r\npass out all\r\nanchor \"vimage/*\"";
        let e = pf_conf_add(old).unwrap();
        assert_eq!(
            e.text,
            format!(
                "set skip on lo0\r\nscrub in all\r\n{PF_MARKER}\r\nnat-anchor \"vimage/*\"\r\nrdr-anchor \"vimage/*\"\r\n\
                 # let it all out\r\npass out all\r\nanchor \"vimage/*\""
            ),
            "CRLF stays, the admin's anchor line (unterminated, last) stays as it was"
        );
        let only_filter = pf_conf_add("nat-anchor vimage/*\nrdr-anchor \"vimage/*\" all\npass all").unwrap();
        assert_eq!(
            only_filter.text,
            format!("nat-anchor vimage/*\nrdr-anchor \"vimage/*\" all\npass all\n{PF_MARKER}\nanchor \"vimage/*\"\n")
        );
        let empty = pf_conf_add("").unwrap();
        assert_eq!(
            empty.text,
            format!(
                "{PF_MARKER}\nnat-anchor \"vimage/*\"\nrdr-anchor \"vimage/*\"\n{PF_MARKER}\nanchor \"vimage/*\"\n"
            )
        );
    }

    /// What the edit writes is what the simulated pfctl (parse.y's section order) accepts.
    #[cfg(feature = "simulator")]
    #[test]
    fn the_edited_pf_conf_passes_the_simulated_pfctl_n() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let old = "ext_if = \"em0\"\nset skip on lo0\nscrub in\nnat on $ext_if from 10.1.0.0/16 to any -> ($ext_if)\npass all\n";
        let e = pf_conf_add(old).unwrap();
        std::fs::write(dir.path().join("etc/pf.conf"), &e.text).unwrap();
        let mut k = crate::sim::Kernel::freebsd14();
        k.set_root(Some(dir.path().to_path_buf()));
        let mut sim = crate::sim::Sim::new(k);
        let out = sim.exec("pfctl", &["-nf".to_string(), "/etc/pf.conf".to_string()]);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", e.text);
    }
}
