//! CBSD's own settings. `cbsd jset` is spelled here and nowhere else in the kernel contract.

use crate::host::{Cmd, Program};
use crate::model::JailName;

/// `cbsd jset jname=<jail> <key>=<value>`: CBSD's database row for the jail, written the way
/// CBSD writes it (never a shell line: the jail name and value are argv words).
pub fn jset(jail: &JailName, key: &str, value: &str) -> Cmd {
    Cmd::new(Program::Cbsd, ["jset".to_string(), format!("jname={jail}"), format!("{key}={value}")])
}
