//! Prints a plan as the FreeBSD commands it stands for (`--dry-run`) or as JSON.

use super::Plan;
use crate::host::Cmd;
use crate::op::{Bindings, Op};

/// The plan's commands, in order, with names the kernel will choose shown as `$variables`.
pub fn commands(plan: &Plan) -> Vec<Cmd> {
    let none = Bindings::new();
    plan.steps.iter().map(|s| s.op.command(&none)).collect()
}

/// The dry-run text: notes as `#` comments, then one command per line; a creating command
/// says which variable its output fills.
pub fn dry_run(plan: &Plan) -> String {
    let none = Bindings::new();
    let mut out = String::new();
    for n in &plan.notes {
        out.push_str("# ");
        out.push_str(n);
        out.push('\n');
    }
    for s in &plan.steps {
        let mut line = s.op.command(&none).script_line();
        if let Op::NgScript { lines, .. } = &s.op {
            // The comment goes on the command's own line: a here-document ends at a bare EOF.
            let names: Vec<String> =
                lines.iter().filter_map(|l| l.reply.as_ref()).map(|r| format!("${}", r.0)).collect();
            if !names.is_empty()
                && let Some((first, rest)) = line.split_once('\n')
            {
                line = format!("{first}   # prints each new eiface's name: {}\n{rest}", names.join(" "));
            }
        }
        out.push_str(&line);
        if let Some(slot) = s.op.binds() {
            let what = match &s.op {
                Op::CreateEpair { .. } => format!(
                    "   # prints the new host end: ${}; its jail end is ${}",
                    slot.0,
                    crate::op::IfRef::Peer(slot.clone()).display(&none).trim_start_matches('$')
                ),
                _ => format!("   # prints the new bridge: ${}", slot.0),
            };
            out.push_str(&what);
        }
        out.push('\n');
    }
    out
}
