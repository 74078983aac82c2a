//! The text lines verbs print while a session runs, one per event as it happens (see
//! `crate::exec::progress`): what is printed is done, whatever fails after it.

use super::Out;
use crate::exec::Report;
use crate::exec::progress::{Note, Progress};
use crate::model::ModeKind;
use crate::plan::{Effect, NicFx, Plan};

/// Which verb's lines to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `bridge`, `unbridge`, `devfs`: the plan's notes, then each NIC that is up, then results.
    Nics,
    /// `start`, `stop`: the plan's notes and every command as it completes.
    Commands,
    /// `gc`: what each plan removed, once it has.
    Removed,
}

/// A [`Progress`] that prints to an [`Out`].
pub struct Lines {
    out: Out,
    style: Style,
}

impl Lines {
    /// Lines of `style` to `out`, boxed for [`crate::ops::Session::report_to`].
    pub fn boxed(out: &Out, style: Style) -> Box<Lines> {
        Box::new(Lines { out: out.clone(), style })
    }
}

/// A session note as the verbs print it: warnings on stderr (they are not the command's
/// output, and `-q` must not hide them), the rest as `note: …` (`repaired: …` for gc).
pub fn note(out: &Out, style: Style, n: &Note) {
    if n.warning {
        out.err_line(format!("vimage: {n}"));
    } else if style == Style::Removed {
        out.line(format!("repaired: {n}"));
    } else {
        out.line(format!("note: {n}"));
    }
}

/// The line saying a NIC is up, naming its host end, bridge, uplink and MAC.
pub fn nic_up(plan: &Plan, f: &NicFx, r: &Report) -> Vec<String> {
    // A Linux userland's NIC keeps the kernel's name: say it (`eth0 (in the jail: epair3b)`).
    let nic = match &f.jail_if {
        Some(j) => format!("{} (in the jail: {})", f.nic_name, j.display(&r.bindings)),
        None => f.nic_name.clone(),
    };
    let line = match f.mode {
        ModeKind::Passthrough => format!("{nic} is up: passed through"),
        mode => format!(
            "{nic} is up: {} {} on {} (uplink {}), MAC {}",
            if mode == ModeKind::Netgraph { "netgraph node" } else { "host end" },
            f.host_if.display(&r.bindings),
            f.bridge.as_ref().map(|b| b.display(&r.bindings)).unwrap_or_default(),
            f.uplink.as_deref().unwrap_or("?"),
            f.mac.map(|m| m.to_string()).unwrap_or_default()
        ),
    };
    let mut v = vec![format!("jail {}: {line}", plan.jail)];
    if let Some(w) = &f.wanted_name {
        v.push(format!("jail {}: {} is {w} shortened to fit 15 bytes", plan.jail, f.nic_name));
    }
    v
}

impl Progress for Lines {
    fn planned(&mut self, plan: &Plan) {
        if self.style == Style::Removed {
            return;
        }
        for n in &plan.notes {
            self.out.line(format!("jail {}: {n}", plan.jail));
        }
    }

    fn step_done(&mut self, plan: &Plan, command: &str) {
        if self.style == Style::Commands {
            self.out.line(format!("jail {}: ran {}", plan.jail, command.replace('\n', "\n    ")));
        }
    }

    fn applied(&mut self, plan: &Plan, report: &Report) {
        match self.style {
            Style::Nics => {
                for e in &plan.effects {
                    if let Effect::Attach(f) = e {
                        for l in nic_up(plan, f, report) {
                            self.out.line(l);
                        }
                    }
                }
            }
            Style::Removed => {
                for n in &plan.notes {
                    self.out.line(format!("removed {n}"));
                }
            }
            Style::Commands => {}
        }
    }

    fn result(&mut self, plan: &Plan, line: &str) {
        if self.style != Style::Removed {
            self.out.line(format!("jail {}: {line}", plan.jail));
        }
    }

    fn note(&mut self, n: &Note) {
        note(&self.out, self.style, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A warning goes to stderr because it was made one, not because of its words.
    #[test]
    fn warnings_are_told_apart_by_their_type_not_their_text() {
        let out = Out::capture();
        note(&out, Style::Nics, &Note::warning("jail web1: `ifconfig em9 -vnet 999` failed"));
        note(&out, Style::Nics, &Note::info("warning: only words"));
        note(&out, Style::Removed, &Note::info("jail web1: rolled back"));
        assert_eq!(out.stderr(), "vimage: warning: jail web1: `ifconfig em9 -vnet 999` failed\n");
        assert_eq!(out.stdout(), "note: warning: only words\nrepaired: jail web1: rolled back\n");
        assert_eq!(serde_json::to_value(Note::warning("x")).unwrap(), serde_json::json!("warning: x"));
    }
}
