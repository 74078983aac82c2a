//! One `vimage doctor` check's result, shared by the kernel checks (`doctor`) and the pf
//! checks (`doctor_pf`), in a file of its own so neither imports the other's.

use serde::Serialize;

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What is checked (`VIMAGE`, a kernel module such as `if_bridge`, `ip forwarding`), the key
    /// scripts match on in `--json`.
    pub name: String,
    /// `ok`, `missing` (vimage or a mode cannot work), `warn` (works, with a caveat), `info`.
    pub status: String,
    /// What was found, in words, so the admin need not run the check by hand.
    pub detail: String,
    /// The command that fixes it now, if any.
    pub fix: Option<String>,
    /// What makes the fix survive a reboot, if anything.
    pub persist: Option<String>,
    /// Which mode needs it: `all`, `epair`, `netgraph`, `net` (private networks).
    pub needed_by: String,
    /// Lines to add to a file for the fix (pf.conf's anchor lines), exactly as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}
