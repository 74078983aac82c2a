//! One error type whose text names the jail, the object and the failed command, and whose
//! kind maps to a sysexits(3) exit code (DESIGN §3).

use std::fmt;

/// What went wrong, as far as the exit code is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad command line: unknown key, missing `jname=` (EX_USAGE 64).
    Usage,
    /// A value or name that can never work: bad jail name, 16-byte interface name (EX_DATAERR 65).
    Data,
    /// Something needed is not there: no VIMAGE, unknown or stopped jail, missing uplink (EX_UNAVAILABLE 69).
    Unavailable,
    /// A bug in vimage (EX_SOFTWARE 70).
    Internal,
    /// A FreeBSD command failed or could not run (EX_OSERR 71).
    Os,
    /// vimage's own state could not be written (EX_CANTCREAT 73).
    CantCreate,
    /// Standard output could not be written for a reason other than a closed pipe, such as a
    /// full disk (EX_IOERR 74): what the command printed is incomplete.
    IoErr,
    /// Try again later: the host lock or a database is busy (EX_TEMPFAIL 75).
    TempFail,
}

impl Kind {
    /// The process exit code for this kind.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Usage => 64,
            Kind::Data => 65,
            Kind::Unavailable => 69,
            Kind::Internal => 70,
            Kind::Os => 71,
            Kind::CantCreate => 73,
            Kind::IoErr => 74,
            Kind::TempFail => 75,
        }
    }

    /// The sysexits(3) name without `EX_` (`usage`, `oserr`, …): the `kind` of `--json`'s error
    /// object, so scripts can branch on it without parsing the message.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Data => "dataerr",
            Kind::Unavailable => "unavailable",
            Kind::Internal => "software",
            Kind::Os => "oserr",
            Kind::CantCreate => "cantcreat",
            Kind::IoErr => "ioerr",
            Kind::TempFail => "tempfail",
        }
    }
}

/// The FreeBSD command whose failure an error reports, kept apart from the message so
/// `--json` can give it as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// The command line as vimage ran it.
    pub command: String,
    /// Its exit status (127: it could not be run at all).
    pub exit: i32,
    /// What it printed on standard error, trimmed.
    pub stderr: String,
}

/// An error with everything an admin needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The class of failure: chooses the exit code, so scripts and CBSD can react without parsing
    /// text.
    pub kind: Kind,
    /// The jail concerned, when there is one; printed first.
    pub jail: Option<String>,
    /// What went wrong, in one sentence.
    pub message: String,
    /// Further lines: rollback results, hints, secondary failures.
    pub details: Vec<String>,
    /// The command that failed, when one did (also in the message, for the text form); boxed
    /// to keep every `Result` small.
    pub failed: Option<Box<Failed>>,
}

impl Error {
    /// An error of `kind` about no particular jail.
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error { kind, jail: None, message: message.into(), details: Vec::new(), failed: None }
    }

    /// An error about jail `jail`.
    pub fn jail(kind: Kind, jail: impl fmt::Display, message: impl Into<String>) -> Error {
        Error { kind, jail: Some(jail.to_string()), message: message.into(), details: Vec::new(), failed: None }
    }

    /// Adds a line of detail (a hint, a rollback outcome).
    pub fn detail(mut self, line: impl Into<String>) -> Error {
        self.details.push(line.into());
        self
    }

    /// Records the command whose failure this error reports (its line, exit status, stderr).
    pub fn command(mut self, command: impl Into<String>, exit: i32, stderr: &str) -> Error {
        self.failed = Some(Box::new(Failed { command: command.into(), exit, stderr: stderr.trim().to_string() }));
        self
    }

    /// Sets the jail if none is set yet.
    pub fn in_jail(mut self, jail: impl fmt::Display) -> Error {
        if self.jail.is_none() {
            self.jail = Some(jail.to_string());
        }
        self
    }

    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(j) = &self.jail {
            write!(f, "jail {j}: ")?;
        }
        f.write_str(&self.message)?;
        for d in &self.details {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// How an error from a damaged SQLite file starts, so the code that opened it can name the
/// file and the fix (`state::StateDb::open`).
pub const DAMAGED_DB: &str = "vimage state database is damaged";

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked)
        );
        let corrupt = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt)
        );
        if busy {
            Error::new(Kind::TempFail, format!("vimage state database is busy: {e}"))
        } else if corrupt {
            Error::new(Kind::Data, format!("{DAMAGED_DB}: {e}")).detail(
                "move the database and its -wal and -shm files aside: vimage rebuilds its records from the kernel's markers",
            )
        } else {
            Error::new(Kind::CantCreate, format!("vimage state database: {e}"))
        }
    }
}

impl From<crate::host::SpawnError> for Error {
    fn from(e: crate::host::SpawnError) -> Error {
        Error::new(Kind::Os, e.to_string())
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_jail_then_details() {
        let e = Error::jail(Kind::Unavailable, "web1", "is not running").detail("start it with: cbsd jstart web1");
        assert_eq!(e.to_string(), "jail web1: is not running\n  start it with: cbsd jstart web1");
        assert_eq!(e.exit_code(), 69);
        assert_eq!(Error::new(Kind::Usage, "x").exit_code(), 64);
    }
}
