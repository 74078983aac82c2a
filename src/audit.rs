//! The audit trail: every change vimage makes to the host (each applied step) and every
//! failure, also sent to syslog, where FreeBSD admins look (/var/log/messages), whatever
//! front end ran the command and whether or not its output was kept.
//!
//! Written by hand, without libc's syslog(3): one RFC 3164 line per event
//! (`<PRI>vimage[PID]: text`, facility daemon) as a datagram to syslogd's local socket
//! (`/var/run/log` on FreeBSD, a Unix datagram socket). The timestamp is left out: RFC 3164
//! §4.3.2 has syslogd add its own, which avoids any time-zone work here. Changes go at
//! severity notice (FreeBSD's default syslog.conf sends `*.notice` to /var/log/messages;
//! `info` would be dropped), failures at err.
//!
//! Nothing here can fail a command: a missing socket, no syslogd, a full buffer — the event is
//! dropped. The sink is per thread ([`install`] returns a guard that removes it), so tests
//! running in parallel each see only their own events, and library callers that never install
//! one send nothing. This module imports nothing of the crate: the executor (low) calls it.

use std::cell::RefCell;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

/// syslogd's local socket on FreeBSD. The real one is not a file vimage owns, so it is only
/// used as is when `VIMAGE_ROOT` is `/`; see [`socket_path`].
pub const DEFAULT_SOCKET: &str = "/var/run/log";

/// The environment variable naming the socket (tests bind their own); empty turns syslog off.
pub const SOCKET_ENV: &str = "VIMAGE_SYSLOG_SOCKET";

/// syslog facility daemon (3), as syslog(3) numbers it (`LOG_DAEMON >> 3`).
pub const FACILITY_DAEMON: u8 = 3;

/// The longest text sent in one line; FreeBSD's syslogd takes more, RFC 3164 relays 1024.
const MAX_TEXT: usize = 1024;

/// How serious an event is, with syslog(3)'s numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// A failure (LOG_ERR): the command did not do what it was asked.
    Err = 3,
    /// A change to the host (LOG_NOTICE): kept in /var/log/messages by FreeBSD's default.
    Notice = 5,
}

/// Which socket the audit trail goes to: `VIMAGE_SYSLOG_SOCKET` when set (empty: none), else
/// [`DEFAULT_SOCKET`] under `root` (`VIMAGE_ROOT`). A test or a simulated root thus never
/// writes into the real syslog unless it names the socket.
pub fn socket_path(env_socket: Option<&str>, root: &Path) -> Option<PathBuf> {
    match env_socket {
        Some("") => None,
        Some(p) => Some(PathBuf::from(p)),
        None => Some(root.join(DEFAULT_SOCKET.trim_start_matches('/'))),
    }
}

/// One RFC 3164 line: `<PRI>vimage[PID]: text`, PRI = facility × 8 + severity; line breaks
/// in `text` become `; ` and it is cut to 1024 bytes, so one event is one line.
pub fn format(sev: Severity, pid: u32, text: &str) -> String {
    let mut t: String = text.trim_end().replace('\n', "; ");
    if t.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        t.truncate(end);
    }
    format!("<{}>vimage[{pid}]: {t}", FACILITY_DAEMON * 8 + sev as u8)
}

struct Sink {
    path: PathBuf,
    sock: Option<UnixDatagram>,
    /// The verb the events belong to (`bridge`, `gc`): said in each line.
    verb: String,
    /// A failure to reach the socket was already told (once per run is enough).
    told: bool,
}

thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// Keeps the sink installed by [`install`]; dropping it puts back what was there before.
#[must_use = "the audit trail stops when the guard is dropped"]
pub struct Guard {
    prev: Option<Sink>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        SINK.with(|s| *s.borrow_mut() = prev);
    }
}

/// Sends this thread's events for `verb` to `socket` (`None`: nowhere, as `syslog=0`) until
/// the guard is dropped.
pub fn install(socket: Option<PathBuf>, verb: &str) -> Guard {
    let new = socket.map(|path| Sink { path, sock: None, verb: verb.to_string(), told: false });
    let prev = SINK.with(|s| std::mem::replace(&mut *s.borrow_mut(), new));
    Guard { prev }
}

/// A change was made: `command` (what ran, the kernel's names filled in) on `jail`'s behalf.
pub fn change(jail: Option<&str>, command: &str) {
    tracing::debug!(target: "vimage::audit", "changed: {command}");
    emit(Severity::Notice, jail, command);
}

/// The command failed with `message` (the error as the user sees it).
pub fn failure(jail: Option<&str>, message: &str) {
    emit(Severity::Err, jail, message);
}

fn emit(sev: Severity, jail: Option<&str>, text: &str) {
    SINK.with(|s| {
        let mut s = s.borrow_mut();
        let Some(sink) = s.as_mut() else { return };
        let what = match (sev, jail) {
            (Severity::Notice, Some(j)) => format!("{} jail {j}: {text}", sink.verb),
            (Severity::Err, Some(j)) => format!("{} jail {j} failed: {text}", sink.verb),
            (Severity::Notice, None) => format!("{}: {text}", sink.verb),
            (Severity::Err, None) => format!("{} failed: {text}", sink.verb),
        };
        let line = format(sev, std::process::id(), &what);
        if sink.sock.is_none() {
            sink.sock = UnixDatagram::unbound().ok();
        }
        let sent = sink.sock.as_ref().map(|u| u.send_to(line.as_bytes(), &sink.path));
        if let Some(Err(e)) = sent
            && !std::mem::replace(&mut sink.told, true)
        {
            // Diagnostics only: the command goes on whatever syslog does.
            tracing::debug!(target: "vimage::audit", socket = %sink.path.display(), "syslog not reached: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lines_have_the_daemon_facility_and_one_line_each() {
        assert_eq!(format(Severity::Notice, 42, "ifconfig epair create"), "<29>vimage[42]: ifconfig epair create");
        assert_eq!(format(Severity::Err, 7, "a\nb\n"), "<27>vimage[7]: a; b");
        let long = "é".repeat(600);
        assert!(format(Severity::Err, 1, &long).len() <= MAX_TEXT + 20);
    }

    #[test]
    fn the_socket_is_the_variable_or_the_default_under_the_root() {
        assert_eq!(socket_path(None, Path::new("/")), Some(PathBuf::from("/var/run/log")));
        assert_eq!(socket_path(None, Path::new("/tmp/r")), Some(PathBuf::from("/tmp/r/var/run/log")));
        assert_eq!(socket_path(Some("/s"), Path::new("/tmp/r")), Some(PathBuf::from("/s")));
        assert_eq!(socket_path(Some(""), Path::new("/")), None);
    }

    #[test]
    fn events_reach_the_socket_only_while_installed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let rx = UnixDatagram::bind(&path).unwrap();
        rx.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        {
            let _g = install(Some(path.clone()), "bridge");
            change(Some("web1"), "ifconfig epair create");
            failure(Some("web1"), "boom");
        }
        change(Some("web1"), "after the guard");
        let mut buf = [0u8; 2048];
        let mut got = Vec::new();
        while let Ok(n) = rx.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).to_string());
        }
        let pid = std::process::id();
        assert_eq!(
            got,
            [
                format!("<29>vimage[{pid}]: bridge jail web1: ifconfig epair create"),
                format!("<27>vimage[{pid}]: bridge jail web1 failed: boom")
            ]
        );
    }

    #[test]
    fn a_missing_socket_is_no_error() {
        let _g = install(Some(PathBuf::from("/nonexistent/vimage/log")), "gc");
        change(Some("web1"), "x");
        failure(None, "y");
    }
}
