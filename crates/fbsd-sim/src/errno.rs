//! FreeBSD error numbers, as the simulated kernel returns them.
//!
//! The userland commands turn these into the exact `strerror(3)` texts FreeBSD prints, so a
//! caller that matches on "File exists" or "Device busy" sees what it would see on a real host.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An errno value a simulated kernel operation can fail with.
///
/// Exists so kernel operations can return FreeBSD's error codes (and tests can inject any of
/// them with `Kernel::fail_at`) without the simulator depending on the host's libc numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
pub enum Errno {
    /// errno 1.
    EPERM,
    /// errno 2.
    ENOENT,
    /// errno 3.
    ESRCH,
    /// errno 5.
    EIO,
    /// errno 6.
    ENXIO,
    /// errno 8.
    ENOEXEC,
    /// errno 12.
    ENOMEM,
    /// errno 13.
    EACCES,
    /// errno 16.
    EBUSY,
    /// errno 17.
    EEXIST,
    /// errno 19.
    ENODEV,
    /// errno 20.
    ENOTDIR,
    /// errno 21.
    EISDIR,
    /// errno 22.
    EINVAL,
    /// errno 25.
    ENOTTY,
    /// errno 28.
    ENOSPC,
    /// errno 30.
    EROFS,
    /// errno 34.
    ERANGE,
    /// errno 35.
    EAGAIN,
    /// errno 43 (vlan(4): a parent that cannot carry VLANs).
    EPROTONOSUPPORT,
    /// errno 45.
    EOPNOTSUPP,
    /// errno 46.
    EPFNOSUPPORT,
    /// errno 47.
    EAFNOSUPPORT,
    /// errno 48.
    EADDRINUSE,
    /// errno 49.
    EADDRNOTAVAIL,
    /// errno 50.
    ENETDOWN,
    /// errno 51.
    ENETUNREACH,
    /// errno 55.
    ENOBUFS,
    /// errno 56.
    EISCONN,
    /// errno 57.
    ENOTCONN,
    /// errno 62 (ng_bridge refuses a hook whose peer is the bridge itself).
    ELOOP,
    /// errno 60.
    ETIMEDOUT,
    /// errno 63.
    ENAMETOOLONG,
    /// errno 65.
    EHOSTUNREACH,
    /// errno 66.
    ENOTEMPTY,
    /// errno 78 (netgraph: a message name the node type does not know).
    ENOSYS,
}

const ALL: [Errno; 36] = [
    Errno::EPERM,
    Errno::ENOENT,
    Errno::ESRCH,
    Errno::EIO,
    Errno::ENXIO,
    Errno::ENOEXEC,
    Errno::ENOMEM,
    Errno::EACCES,
    Errno::EBUSY,
    Errno::EEXIST,
    Errno::ENODEV,
    Errno::ENOTDIR,
    Errno::EISDIR,
    Errno::EINVAL,
    Errno::ENOTTY,
    Errno::ENOSPC,
    Errno::EROFS,
    Errno::ERANGE,
    Errno::EAGAIN,
    Errno::EPROTONOSUPPORT,
    Errno::EOPNOTSUPP,
    Errno::EPFNOSUPPORT,
    Errno::EAFNOSUPPORT,
    Errno::EADDRINUSE,
    Errno::EADDRNOTAVAIL,
    Errno::ENETDOWN,
    Errno::ENETUNREACH,
    Errno::ENOBUFS,
    Errno::EISCONN,
    Errno::ENOTCONN,
    Errno::ELOOP,
    Errno::ETIMEDOUT,
    Errno::ENAMETOOLONG,
    Errno::EHOSTUNREACH,
    Errno::ENOTEMPTY,
    Errno::ENOSYS,
];

impl Errno {
    /// FreeBSD's `strerror(3)` text (lib/libc/gen/errlst.c), which every `err(3)` message ends
    /// with; callers of the real commands match on it.
    pub fn strerror(&self) -> &'static str {
        match self {
            Errno::EPERM => "Operation not permitted",
            Errno::ENOENT => "No such file or directory",
            Errno::ESRCH => "No such process",
            Errno::EIO => "Input/output error",
            Errno::ENXIO => "Device not configured",
            Errno::ENOEXEC => "Exec format error",
            Errno::ENOMEM => "Cannot allocate memory",
            Errno::EACCES => "Permission denied",
            Errno::EBUSY => "Device busy",
            Errno::EEXIST => "File exists",
            Errno::ENODEV => "Operation not supported by device",
            Errno::ENOTDIR => "Not a directory",
            Errno::EISDIR => "Is a directory",
            Errno::EINVAL => "Invalid argument",
            Errno::ENOTTY => "Inappropriate ioctl for device",
            Errno::ENOSPC => "No space left on device",
            Errno::EROFS => "Read-only file system",
            Errno::ERANGE => "Result too large",
            Errno::EAGAIN => "Resource temporarily unavailable",
            Errno::EPROTONOSUPPORT => "Protocol not supported",
            Errno::EOPNOTSUPP => "Operation not supported",
            Errno::EPFNOSUPPORT => "Protocol family not supported",
            Errno::EAFNOSUPPORT => "Address family not supported by protocol family",
            Errno::EADDRINUSE => "Address already in use",
            Errno::EADDRNOTAVAIL => "Can't assign requested address",
            Errno::ENETDOWN => "Network is down",
            Errno::ENETUNREACH => "Network is unreachable",
            Errno::ENOBUFS => "No buffer space available",
            Errno::EISCONN => "Socket is already connected",
            Errno::ENOTCONN => "Socket is not connected",
            Errno::ELOOP => "Too many levels of symbolic links",
            Errno::ETIMEDOUT => "Operation timed out",
            Errno::ENAMETOOLONG => "File name too long",
            Errno::EHOSTUNREACH => "No route to host",
            Errno::ENOTEMPTY => "Directory not empty",
            Errno::ENOSYS => "Function not implemented",
        }
    }

    /// The symbolic name (`EEXIST`), for `fbsd-sim sim fail-at N EEXIST` and test messages.
    pub fn name(&self) -> &'static str {
        match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::ESRCH => "ESRCH",
            Errno::EIO => "EIO",
            Errno::ENXIO => "ENXIO",
            Errno::ENOEXEC => "ENOEXEC",
            Errno::ENOMEM => "ENOMEM",
            Errno::EACCES => "EACCES",
            Errno::EBUSY => "EBUSY",
            Errno::EEXIST => "EEXIST",
            Errno::ENODEV => "ENODEV",
            Errno::ENOTDIR => "ENOTDIR",
            Errno::EISDIR => "EISDIR",
            Errno::EINVAL => "EINVAL",
            Errno::ENOTTY => "ENOTTY",
            Errno::ENOSPC => "ENOSPC",
            Errno::EROFS => "EROFS",
            Errno::ERANGE => "ERANGE",
            Errno::EAGAIN => "EAGAIN",
            Errno::EPROTONOSUPPORT => "EPROTONOSUPPORT",
            Errno::EOPNOTSUPP => "EOPNOTSUPP",
            Errno::EPFNOSUPPORT => "EPFNOSUPPORT",
            Errno::EAFNOSUPPORT => "EAFNOSUPPORT",
            Errno::EADDRINUSE => "EADDRINUSE",
            Errno::EADDRNOTAVAIL => "EADDRNOTAVAIL",
            Errno::ENETDOWN => "ENETDOWN",
            Errno::ENETUNREACH => "ENETUNREACH",
            Errno::ENOBUFS => "ENOBUFS",
            Errno::EISCONN => "EISCONN",
            Errno::ENOTCONN => "ENOTCONN",
            Errno::ELOOP => "ELOOP",
            Errno::ETIMEDOUT => "ETIMEDOUT",
            Errno::ENAMETOOLONG => "ENAMETOOLONG",
            Errno::EHOSTUNREACH => "EHOSTUNREACH",
            Errno::ENOTEMPTY => "ENOTEMPTY",
            Errno::ENOSYS => "ENOSYS",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.strerror())
    }
}

impl std::error::Error for Errno {}

/// Parses the symbolic name (`EBUSY`, case-insensitive; `ENOTSUP` is FreeBSD's alias of
/// `EOPNOTSUPP`).
impl FromStr for Errno {
    type Err = String;

    fn from_str(s: &str) -> Result<Errno, String> {
        let up = s.to_ascii_uppercase();
        if up == "ENOTSUP" {
            return Ok(Errno::EOPNOTSUPP);
        }
        ALL.into_iter().find(|e| e.name() == up).ok_or_else(|| format!("unknown errno name '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_texts_are_freebsds_errlst_c() {
        assert_eq!(Errno::EEXIST.strerror(), "File exists");
        assert_eq!(Errno::ENXIO.strerror(), "Device not configured");
        assert_eq!(Errno::EBUSY.strerror(), "Device busy");
        assert_eq!(Errno::ENAMETOOLONG.strerror(), "File name too long");
        assert_eq!(Errno::EADDRNOTAVAIL.strerror(), "Can't assign requested address");
    }

    #[test]
    fn names_round_trip() {
        for e in ALL {
            assert_eq!(e.name().parse::<Errno>(), Ok(e));
        }
        assert_eq!("ebusy".parse::<Errno>(), Ok(Errno::EBUSY));
        assert!("EWHAT".parse::<Errno>().is_err());
    }
}
