//! One error type whose text names the jail, the object and the failed command, and whose
//! kind maps to a sysexits(3) exit code (DESIGN §3). The same facts are kept as data beside
//! the text (jail, [`Object`], [`Failed`] command), so `--json` gives them as fields and code
//! that must tell errors apart looks at a field ([`Kind`], [`Cause`]), never at the words; a
//! teardown's many failures stay apart in an [`Errors`] list.

use serde::Serialize;
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

/// What sort of thing an [`Object`] is, so a script can tell an interface from a bridge or a
/// file without reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A network interface: an epair end, an eiface, a passed-through NIC.
    Interface,
    /// An if_bridge (or, by name, an ng_bridge node vimage made).
    Bridge,
    /// A host interface a jail reaches the network through.
    Uplink,
    /// A netgraph node.
    Node,
    /// A jail.
    Jail,
    /// A host file (`/etc/devfs.rules`, rc.conf, a database).
    File,
    /// A devfs ruleset, by number.
    Ruleset,
    /// A devfs mount (a jail's `/dev`).
    Mount,
    /// A kernel module.
    Module,
    /// A route inside a jail (`default`, `default -inet6`).
    Route,
    /// A private network (`vimage net`), by its name.
    Network,
    /// A pf anchor vimage loads its rules into (`vimage/jails`).
    Anchor,
    /// A sysctl vimage sets (`net.inet.ip.forwarding`).
    Sysctl,
}

/// The object an error is about: what it is and its name, as vimage addresses it (a name the
/// kernel has not chosen yet is its `$slot`, as in a dry run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Object {
    /// What sort of object it is.
    pub kind: ObjectKind,
    /// Its name (interface, node, jail, path, ruleset number, module).
    pub name: String,
}

impl Object {
    /// An object of `kind` named `name`.
    pub fn new(kind: ObjectKind, name: impl fmt::Display) -> Object {
        Object { kind, name: name.to_string() }
    }

    /// A host interface used as an uplink.
    pub fn uplink(name: impl fmt::Display) -> Object {
        Object::new(ObjectKind::Uplink, name)
    }

    /// A network interface.
    pub fn interface(name: impl fmt::Display) -> Object {
        Object::new(ObjectKind::Interface, name)
    }

    /// A bridge.
    pub fn bridge(name: impl fmt::Display) -> Object {
        Object::new(ObjectKind::Bridge, name)
    }

    /// A netgraph node.
    pub fn node(name: impl fmt::Display) -> Object {
        Object::new(ObjectKind::Node, name)
    }

    /// A private network (`vimage net`).
    pub fn network(name: impl fmt::Display) -> Object {
        Object::new(ObjectKind::Network, name)
    }

    /// A host file.
    pub fn file(path: impl fmt::Display) -> Object {
        Object::new(ObjectKind::File, path)
    }
}

/// A fact about an error that code decides on, kept as a value so no caller has to recognise
/// an error by its words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cause {
    /// Nothing a caller branches on beyond [`Kind`].
    #[default]
    Other,
    /// SQLite says the file is not (or no longer) a database: the opener names the file and
    /// the fix (`state::StateDb::open`).
    DamagedDb,
}

/// An error with everything an admin needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The class of failure: chooses the exit code, so scripts and CBSD can react without parsing
    /// text.
    pub kind: Kind,
    /// What a caller may branch on besides the kind (see [`Cause`]).
    pub cause: Cause,
    /// The jail concerned, when there is one; printed first.
    pub jail: Option<String>,
    /// What went wrong, in one sentence.
    pub message: String,
    /// Further lines: rollback results, hints, secondary failures.
    pub details: Vec<String>,
    /// The command that failed, when one did (also in the message, for the text form); boxed
    /// to keep every `Result` small.
    pub failed: Option<Box<Failed>>,
    /// The interface, bridge, node, file… the error is about, when it is about one (also
    /// named in the message); boxed like `failed`.
    pub object: Option<Box<Object>>,
    /// The failures this one sums up, each with its own command, stderr and object: a
    /// teardown's failed steps, a rollback's failed undos. Their text is in `details`.
    pub errors: Errors,
}

impl Error {
    /// An error of `kind` about no particular jail.
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            cause: Cause::Other,
            jail: None,
            message: message.into(),
            details: Vec::new(),
            failed: None,
            object: None,
            errors: Errors::default(),
        }
    }

    /// An error about jail `jail`.
    pub fn jail(kind: Kind, jail: impl fmt::Display, message: impl Into<String>) -> Error {
        Error { jail: Some(jail.to_string()), ..Error::new(kind, message) }
    }

    /// Records the object the error is about (`None` leaves it as it was).
    pub fn about(mut self, object: impl Into<Option<Object>>) -> Error {
        if let Some(o) = object.into() {
            self.object = Some(Box::new(o));
        }
        self
    }

    /// Records a failure this error sums up (its text goes into `details` separately, in
    /// whatever form the summary shows it).
    pub fn because(mut self, e: Error) -> Error {
        self.errors.push(e);
        self
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

    /// For a [`Cause::DamagedDb`] error: SQLite's own words about the file (this module
    /// wrote the message, so it alone takes it apart again).
    pub fn damaged_db_reason(&self) -> Option<&str> {
        (self.cause == Cause::DamagedDb)
            .then(|| self.message.strip_prefix(DAMAGED_DB).map(|r| r.trim_start_matches(": ")))
            .flatten()
    }
}

/// Every failure of a run that keeps going past them (a teardown, a rollback, crash
/// recovery, `gc`), each its own [`Error`] with its own command, stderr and object, as
/// netavark keeps its error list. Shown as one line per failure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// Adds one failure.
    pub fn push(&mut self, e: Error) {
        self.0.push(e);
    }

    /// No failure was collected.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many failures were collected.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The failures, in the order they happened.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.0.iter()
    }

    /// Every single failure, a summary replaced by the failures it sums up (a `gc` whose
    /// teardown of one jail failed in two steps gives those two): what `--json` lists.
    pub fn leaves(&self) -> Vec<&Error> {
        self.0.iter().flat_map(|e| if e.errors.is_empty() { vec![e] } else { e.errors.leaves() }).collect()
    }
}

/// One failure as `--json` lists it (docs/json.md: `error.errors[]`, gc's `failures[]`): the
/// same facts as the error document's, for one failed command.
#[derive(Debug, Serialize)]
pub struct FailureDoc<'a> {
    /// sysexits(3) name without `EX_` ([`Kind::name`]).
    pub kind: &'static str,
    /// The jail concerned.
    pub jail: Option<&'a str>,
    /// What it was about.
    pub object: Option<&'a Object>,
    /// What went wrong, in one sentence.
    pub message: &'a str,
    /// The FreeBSD command that failed.
    pub command: Option<&'a str>,
    /// Its exit status.
    pub command_exit: Option<i32>,
    /// What it printed on stderr.
    pub stderr: Option<&'a str>,
}

impl Error {
    /// This error as one entry of a `--json` failure list.
    pub fn failure_doc(&self) -> FailureDoc<'_> {
        let f = self.failed.as_deref();
        FailureDoc {
            kind: self.kind.name(),
            jail: self.jail.as_deref(),
            object: self.object.as_deref(),
            message: &self.message,
            command: f.map(|f| f.command.as_str()),
            command_exit: f.map(|f| f.exit),
            stderr: f.map(|f| f.stderr.as_str()),
        }
    }
}

impl Errors {
    /// Every single failure ([`Errors::leaves`]) as `--json` lists them.
    pub fn docs(&self) -> Vec<FailureDoc<'_>> {
        self.leaves().into_iter().map(Error::failure_doc).collect()
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Errors {
    type Item = &'a Error;
    type IntoIter = std::slice::Iter<'a, Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Error> for Errors {
    fn from_iter<I: IntoIterator<Item = Error>>(it: I) -> Errors {
        Errors(it.into_iter().collect())
    }
}

impl Extend<Error> for Errors {
    fn extend<I: IntoIterator<Item = Error>>(&mut self, it: I) {
        self.0.extend(it);
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
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
            Error { cause: Cause::DamagedDb, ..Error::new(Kind::Data, format!("{DAMAGED_DB}: {e}")) }.detail(
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

    #[test]
    fn errors_stay_apart_and_read_as_one_line_each() {
        let step = |m: &str, o: &str| {
            Error::jail(Kind::Os, "web1", m).about(Object::new(ObjectKind::Interface, o)).command("ifconfig", 1, "x\n")
        };
        let mut list = Errors::default();
        list.push(step("`ifconfig epair0a destroy` failed (exit 1): x", "epair0a"));
        list.push(step("`ifconfig epair1a destroy` failed (exit 1): x", "epair1a"));
        assert_eq!(
            list.to_string(),
            "jail web1: `ifconfig epair0a destroy` failed (exit 1): x\njail web1: `ifconfig epair1a destroy` failed (exit 1): x"
        );
        let sum = Error::jail(Kind::Os, "web1", "2 of 3 teardown steps failed");
        let sum = list.iter().cloned().fold(sum, Error::because);
        let outer: Errors = [sum, Error::new(Kind::Os, "alone")].into_iter().collect();
        let names: Vec<Option<&str>> =
            outer.leaves().iter().map(|e| e.object.as_ref().map(|o| o.name.as_str())).collect();
        assert_eq!(names, [Some("epair0a"), Some("epair1a"), None]);
        assert_eq!(outer.leaves()[0].failed.as_ref().map(|f| f.stderr.as_str()), Some("x"));
    }

    #[test]
    fn a_damaged_database_is_told_by_its_cause_not_its_words() {
        let e = Error {
            cause: Cause::DamagedDb,
            ..Error::new(Kind::Data, format!("{DAMAGED_DB}: file is not a database"))
        };
        assert_eq!(e.damaged_db_reason(), Some("file is not a database"));
        assert_eq!(Error::new(Kind::Data, format!("{DAMAGED_DB}: x")).damaged_db_reason(), None);
    }

    #[test]
    fn an_error_stays_small() {
        assert!(std::mem::size_of::<Error>() <= 128, "{}", std::mem::size_of::<Error>());
    }
}
