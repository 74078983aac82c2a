//! Test support: builds a CBSD workdir from SQL text, the way CBSD lays it out.
//!
//! The repository holds fixtures only as SQL text (`tests/fixtures/cbsd/*.sql`), never as
//! binary `.sqlite` files, so that a reviewer can read every change. This module turns them
//! into a workdir on the fly; `tools/gen-cbsd-fixture` does the same with the `sqlite3` CLI
//! for humans. Both read `layout.conf` in the fixture directory. Not used by vimage itself,
//! and not part of its API: only its tests, benchmarks and examples depend on this crate.

use rusqlite::Connection;
use std::path::Path;
use vimage::cbsd::workdir::Workdir;
use vimage::error::{Error, Kind, Result};
use vimage::model::JailName;
use vimage::shvars::ShFile;

/// What goes into a fixture workdir.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FixtureSpec {
    /// The node name: the main database is `var/db/inv.<nodename>.sqlite`.
    pub nodename: String,
    /// SQL for the main database (tables `jails`, `local`).
    pub local_sql: String,
    /// Text of `nc.inventory`, if one should exist.
    pub inventory: Option<String>,
    /// Jails that get `jails-system/<jname>/local.sqlite`, with the SQL for each.
    pub jails: Vec<(String, String)>,
    /// CBSD VPCs that get `var/db/vpc/<name>.sqlite` (sudoexec/vpc's `${dbdir}/vpc`), with the
    /// SQL for each.
    pub vpcs: Vec<(String, String)>,
}

impl FixtureSpec {
    /// Reads `layout.conf` and the files it names from `dir` (e.g. `tests/fixtures/cbsd`).
    pub fn from_dir(dir: &Path) -> Result<FixtureSpec> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| Error::new(Kind::Unavailable, format!("fixture {}: {e}", dir.join(name).display())))
        };
        let layout = ShFile::parse(&read("layout.conf")?);
        let need = |key: &str| {
            layout.get(key).ok_or_else(|| Error::new(Kind::Data, format!("fixture layout.conf: {key} is not set")))
        };
        let mut spec = FixtureSpec {
            nodename: need("nodename")?,
            local_sql: read(&need("local_sql")?)?,
            inventory: layout.get("inventory").map(|f| read(&f)).transpose()?,
            jails: Vec::new(),
            vpcs: Vec::new(),
        };
        for jname in need("jails")?.split_whitespace() {
            let sql = read(&need(&format!("jailnic_{jname}"))?)?;
            spec.jails.push((jname.to_string(), sql));
        }
        for vpc in layout.get("vpcs").unwrap_or_default().split_whitespace() {
            let sql = read(&need(&format!("vpc_{vpc}"))?)?;
            spec.vpcs.push((vpc.to_string(), sql));
        }
        Ok(spec)
    }
}

/// Creates the workdir layout under `dir` and fills it from `spec`: `var/db/inv.<node>.sqlite`
/// with `var/db/local.sqlite` as a symlink to it (as `cbsd initenv` does), one
/// `jails-system/<jname>/local.sqlite` per jail, `var/db/vpc/<name>.sqlite` per CBSD VPC,
/// `nc.inventory`, and empty `etc`, `tmp`, `ftmp`. Databases are put in WAL mode like CBSD's.
pub fn build_workdir(dir: &Path, spec: &FixtureSpec) -> Result<Workdir> {
    let wd = Workdir::new(dir);
    let fail = |what: &Path, e: &dyn std::fmt::Display| {
        Error::new(Kind::CantCreate, format!("fixture {}: {e}", what.display()))
    };
    if spec.nodename.is_empty() || !spec.nodename.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(Error::new(Kind::Data, format!("fixture nodename {:?} is not a plain name", spec.nodename)));
    }
    for d in [wd.dbdir(), wd.jailsysdir(), wd.etcdir(), wd.tmpdir(), wd.ftmpdir()] {
        std::fs::create_dir_all(&d).map_err(|e| fail(&d, &e))?;
    }
    let inv_name = format!("inv.{}.sqlite", spec.nodename);
    run_sql(&wd.dbdir().join(&inv_name), &spec.local_sql)?;
    let link = wd.local_db();
    std::os::unix::fs::symlink(&inv_name, &link).map_err(|e| fail(&link, &e))?;
    for (jname, sql) in &spec.jails {
        let j = JailName::parse(jname).map_err(|e| Error::new(Kind::Data, format!("fixture jail: {e}")))?;
        let sysdir = wd.jail_sysdir(&j);
        std::fs::create_dir_all(&sysdir).map_err(|e| fail(&sysdir, &e))?;
        run_sql(&wd.jail_db(&j), sql)?;
    }
    for (name, sql) in &spec.vpcs {
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            || name.contains("..")
        {
            return Err(Error::new(Kind::Data, format!("fixture VPC name {name:?} is not a plain name")));
        }
        let dir = wd.dbdir().join("vpc");
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, &e))?;
        run_sql(&vimage::cbsd::vpc::db_path(&wd, name), sql)?;
    }
    if let Some(text) = &spec.inventory {
        std::fs::write(wd.inventory(), text).map_err(|e| fail(&wd.inventory(), &e))?;
    }
    Ok(wd)
}

/// Creates `path` in WAL mode and runs `sql` in it.
fn run_sql(path: &Path, sql: &str) -> Result<()> {
    let fail = |e: rusqlite::Error| Error::new(Kind::CantCreate, format!("fixture {}: {e}", path.display()));
    let conn = Connection::open(path).map_err(fail)?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)).map_err(fail)?;
    conn.execute_batch(sql).map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_names_that_would_escape_the_workdir() {
        let dir = tempfile::tempdir().unwrap();
        let bad_node = FixtureSpec { nodename: "../x".into(), ..FixtureSpec::default() };
        assert!(build_workdir(dir.path(), &bad_node).is_err());
        let bad_jail =
            FixtureSpec { nodename: "n".into(), jails: vec![("../x".into(), String::new())], ..FixtureSpec::default() };
        assert!(build_workdir(dir.path(), &bad_jail).is_err());
        assert!(!dir.path().join("x").exists());
    }

    #[test]
    fn bad_sql_is_reported_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let spec = FixtureSpec { nodename: "n".into(), local_sql: "CREATE TABLE (".into(), ..FixtureSpec::default() };
        let e = build_workdir(dir.path(), &spec).unwrap_err();
        assert!(e.message.contains("inv.n.sqlite"), "{e}");
    }
}
