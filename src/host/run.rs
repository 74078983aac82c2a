//! Running one command and getting an answer whatever happens.
//!
//! Every layer that talks to the kernel (fact gathering, the executor, `doctor`, the CBSD
//! database writer) wants the same thing from [`Host::run`]: an [`Output`] to judge, even when
//! the program could not be spawned. It lives here, beside the seam it wraps, so none of them
//! has to import another layer to get it.

use super::{Cmd, Host, Output};

/// Runs one command; a command that could not even be spawned counts as a failure (exit 127,
/// as a shell reports a missing program) with the reason as its stderr.
pub fn run_cmd(host: &mut dyn Host, cmd: &Cmd) -> Output {
    match host.run(cmd) {
        Ok(o) => o,
        Err(e) => Output { code: 127, stdout: String::new(), stderr: e.to_string() },
    }
}
