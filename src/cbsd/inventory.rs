//! `${workdir}/nc.inventory`: the node facts CBSD prints from its `local` table.
//!
//! `cbsd initenv` writes it with `sqlcli` in `sqlcolnames` mode (misc/src/sqlcli.c): one
//! `key="value"` line per column, values **not escaped**, SQL NULL printed by printf(3) as
//! `(null)`; `cbsdsysrc` later edits single lines (`mod_*_enabled`). A copy interrupted by a
//! full disk ends mid-line. So each line is read on its own: a broken line costs only its key,
//! and an error is raised only when a key the caller needs is missing or unusable.

use crate::error::{Error, Kind, Result};
use crate::shvars::ShFile;
use std::collections::BTreeMap;
use std::path::Path;

/// The parsed inventory. Keys whose value is `(null)` are present with no value.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Inventory {
    values: BTreeMap<String, Option<String>>,
    /// Lines that looked like `key=…` but could not be read, by key (for error messages).
    #[serde(skip)]
    damaged: BTreeMap<String, String>,
}

impl Inventory {
    /// Reads the text of an inventory. Never fails; see [`Inventory::require`].
    pub fn parse(text: &str) -> Inventory {
        let mut inv = Inventory::default();
        for line in text.lines() {
            let f = ShFile::parse(line);
            let keys = f.keys();
            if let Some(key) = keys.last() {
                if let Some(v) = f.get(key) {
                    inv.insert(key, v);
                }
            } else if let Some((key, v)) = sqlcli_line(line) {
                // sqlcli does not escape, so a value with one `"` leaves a line sh cannot
                // read; take the text between the outer quotes, as sqlcli wrote it.
                inv.insert(key, v.to_string());
            } else if let Some((key, _)) = line.split_once('=')
                && crate::shvars::is_valid_key(key.trim())
            {
                inv.damaged.insert(key.trim().to_string(), line.to_string());
            }
        }
        inv
    }

    /// Reads `${workdir}/nc.inventory`; a missing file is `Unavailable` (69).
    pub fn read(path: &Path) -> Result<Inventory> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Inventory::parse(&String::from_utf8_lossy(&bytes))),
            Err(e) => {
                Err(Error::new(Kind::Unavailable, format!("cannot read the CBSD inventory {}: {e}", path.display()))
                    .detail("is workdir= right? `cbsd initenv` writes this file"))
            }
        }
    }

    fn insert(&mut self, key: &str, value: String) {
        self.damaged.remove(key);
        let v = (value != "(null)").then_some(value);
        self.values.insert(key.to_string(), v);
    }

    /// The value of `key`; `None` when absent, `(null)`, or on a damaged line.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(|v| v.as_deref())
    }

    /// The value of a key the caller cannot do without; the error says whether the key is
    /// missing, `(null)`, or on a damaged line (and quotes that line).
    pub fn require(&self, key: &str) -> Result<&str> {
        if let Some(v) = self.get(key) {
            return Ok(v);
        }
        let why = if let Some(line) = self.damaged.get(key) {
            format!("its line is damaged: {line:?}")
        } else if self.values.contains_key(key) {
            "it is (null)".to_string()
        } else {
            "it is missing".to_string()
        };
        Err(Error::new(Kind::Data, format!("nc.inventory: cannot use {key}: {why}"))
            .detail("`cbsd initenv` (or `service cbsdd restart`) regenerates nc.inventory"))
    }

    /// `vimage_feature`: whether CBSD found `kern.features.vimage` at its last inventory.
    /// Anything but `0`/`1` is a `Data` error; the kernel itself remains the authority.
    pub fn vimage_feature(&self) -> Result<bool> {
        match self.require("vimage_feature")?.trim() {
            "1" => Ok(true),
            "0" => Ok(false),
            other => Err(Error::new(Kind::Data, format!("nc.inventory: vimage_feature is {other:?}, expected 0 or 1"))),
        }
    }

    /// `nodename`: the node's name in CBSD (the `inv.<nodename>.sqlite` file name).
    pub fn nodename(&self) -> Result<&str> {
        self.require("nodename")
    }

    /// `nics`: the host's interfaces CBSD saw, from its comma-separated list.
    pub fn nics(&self) -> Vec<&str> {
        self.get("nics").map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
    }

    /// Every key with a usable value, in key order (for `--json` and diagnostics).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k.as_str())
    }
}

/// `key="anything"` as sqlcli writes it: the value runs from the first `="` to the last `"`.
fn sqlcli_line(line: &str) -> Option<(&str, &str)> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (key, rest) = line.split_once("=\"")?;
    let value = rest.strip_suffix('"')?;
    crate::shvars::is_valid_key(key).then_some((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "nodename=\"node1\"\nrepo=\"(null)\"\nnics=\"em0,em1\"\nvimage_feature=\"1\"\n\
nodedescr=\"my \"big\" box\"\nnodeip6pool=\"a \"b\"\nmod_vimage_bridge_enabled=\"YES\"\n";

    #[test]
    fn reads_sqlcli_output() {
        let inv = Inventory::parse(SAMPLE);
        assert_eq!(inv.nodename().unwrap(), "node1");
        assert!(inv.vimage_feature().unwrap());
        assert_eq!(inv.nics(), ["em0", "em1"]);
        assert_eq!(inv.get("repo"), None);
        // Read as sh reads it (CBSD sources the file): the inner quotes pair up.
        assert_eq!(inv.get("nodedescr"), Some("my big box"));
        // An odd quote count defeats sh; the raw text between the outer quotes is kept.
        assert_eq!(inv.get("nodeip6pool"), Some("a \"b"));
        assert_eq!(inv.get("mod_vimage_bridge_enabled"), Some("YES"));
        assert!(inv.keys().any(|k| k == "nics"));
    }

    #[test]
    fn broken_lines_cost_only_their_key() {
        let text = "nodename=\"node1\"\n\0\u{fffd}garbage\nvimage_feature=\"1\nnics=\"em0\"\nplatform=\"FreeBSD";
        let inv = Inventory::parse(text);
        assert_eq!(inv.nodename().unwrap(), "node1");
        assert_eq!(inv.nics(), ["em0"]);
        let e = inv.vimage_feature().unwrap_err();
        assert_eq!(e.exit_code(), 65);
        assert!(e.message.contains("damaged") && e.message.contains("vimage_feature=\\\"1"), "{e}");
        assert!(inv.require("platform").unwrap_err().message.contains("damaged"));
        assert!(inv.require("nosuch").unwrap_err().message.contains("missing"));
        assert!(inv.require("repo").is_err());
    }

    #[test]
    fn null_and_garbage_values_of_needed_keys_are_data_errors() {
        let inv = Inventory::parse("vimage_feature=\"(null)\"\n");
        assert!(inv.vimage_feature().unwrap_err().message.contains("(null)"));
        let inv = Inventory::parse("vimage_feature=\"yes\"\n");
        assert!(inv.vimage_feature().unwrap_err().message.contains("expected 0 or 1"));
        assert!(!Inventory::parse("vimage_feature=\"0\"\n").vimage_feature().unwrap());
    }

    #[test]
    fn a_later_line_repairs_an_earlier_damaged_one() {
        let inv = Inventory::parse("vimage_feature=\"1\nvimage_feature=\"0\"\n");
        assert!(!inv.vimage_feature().unwrap());
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_without_panic(text in proptest::prelude::any::<String>()) {
            let inv = Inventory::parse(&text);
            let _ = (inv.vimage_feature(), inv.nodename(), inv.nics());
        }
    }

    #[test]
    fn missing_file_is_unavailable() {
        let e = Inventory::read(Path::new("/nonexistent/nc.inventory")).unwrap_err();
        assert_eq!(e.exit_code(), 69);
        assert!(e.message.contains("/nonexistent/nc.inventory"));
    }
}
