//! What a finished command left behind: the one result type of every command run, real or
//! simulated, so the simulator's userland answers in exactly the shape vimage reads.

/// What a finished command left behind. A non-zero exit is not an error at this level: callers
/// decide, and some (a create that failed half-way) still need the stdout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// The exit status (a signal death is vimage's `host::SpawnError` instead).
    pub code: i32,
    /// What the command printed: the data parsers read, and the names creating commands print.
    pub stdout: String,
    /// What it complained about, quoted in error messages.
    pub stderr: String,
}

impl Output {
    /// True when the command exited 0.
    pub fn ok(&self) -> bool {
        self.code == 0
    }

    /// What to quote when the command failed: its stderr, or its stdout when it said nothing
    /// there. route(8) on 14.x reports a failed change only on stdout (route.c `newroute`
    /// prints `add net default: gateway GW fib 0: <strerror>`; route_netlink.c `rtmsg_nl`
    /// warns nothing).
    pub fn complaint(&self) -> &str {
        let e = self.stderr.trim();
        if e.is_empty() { self.stdout.trim() } else { e }
    }
}
