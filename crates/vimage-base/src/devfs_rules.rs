//! devfs.rules(5) as rc.subr reads it: the section header, and FreeBSD's stock file.
//!
//! Shared by vimage's editor of `/etc/devfs.rules` and the simulator's rc.d/devfs, which must
//! read headers the same way, so both agree with rc.subr's `devfs_rulesets_from_file` on
//! which lines start a ruleset and which number it gets.

/// A section header as rc.subr reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The text between `[` and the `=`: the section's name, how vimage recognises its own.
    pub name: String,
    /// `None` when rc.subr could not extract a number (it would stop reading the file there).
    pub number: Option<u16>,
}

/// Reads a header line the way rc.subr does; `None` for any other line.
pub fn header(line: &str) -> Option<Header> {
    let t = line.trim_matches([' ', '\t']);
    if !t.starts_with('[') {
        return None;
    }
    // rc.subr's `case` needs a `]` somewhere after the `[`.
    t[1..].find(']')?;
    let b = t.as_bytes();
    // The rightmost `=digits]`: expr's greedy `.*` backtracks from the end.
    for eq in (1..b.len()).rev() {
        if b[eq] != b'=' {
            continue;
        }
        let digits = b[eq + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if b.get(eq + 1 + digits) == Some(&b']') {
            let name = t[1..eq].to_string();
            let number = if digits == 0 { None } else { t[eq + 1..eq + 1 + digits].parse::<u16>().ok() };
            return Some(Header { name, number });
        }
    }
    Some(Header { name: t[1..].split(']').next().unwrap_or_default().to_string(), number: None })
}

/// FreeBSD's stock `/etc/defaults/devfs.rules` (sbin/devfs/devfs.rules@aaae6f92), for tests
/// and as the simulator's boot-time rulesets.
pub const STOCK_FILE: &str = "#
# The following are some default rules for devfs(4) mounts.
# The format is very simple. Empty lines and lines beginning
# with a hash '#' are ignored. If the hash mark occurs anywhere
# other than the beginning of a line, it and any subsequent
# characters will be ignored.  A line in between brackets '[]'
# denotes the beginning of a ruleset. In the brackets should
# be a name for the rule and its ruleset number. Any other lines
# will be considered to be the 'action' part of a rule
# passed to the devfs(8) command. These will be passed
# \"as-is\" to the devfs(8) command with the exception that
# any references to other rulesets will be expanded first. These
# references must include a dollar sign '$' in front of the
# name to be expanded properly.
#
#

# Very basic and secure ruleset: Hide everything.
# Used as a basis for other rules.
#
[devfsrules_hide_all=1]
add hide

# Basic devices typically necessary.
# Requires: devfsrules_hide_all
#
[devfsrules_unhide_basic=2]
add path null unhide
add path zero unhide
add path crypto unhide
add path random unhide
add path urandom unhide

# Devices typically needed to support logged-in users.
# Requires: devfsrules_hide_all
#
[devfsrules_unhide_login=3]
add path 'ptyp*' unhide
add path 'ptyq*' unhide
add path 'ptyr*' unhide
add path 'ptys*' unhide
add path 'ptyP*' unhide
add path 'ptyQ*' unhide
add path 'ptyR*' unhide
add path 'ptyS*' unhide
add path 'ptyl*' unhide
add path 'ptym*' unhide
add path 'ptyn*' unhide
add path 'ptyo*' unhide
add path 'ptyL*' unhide
add path 'ptyM*' unhide
add path 'ptyN*' unhide
add path 'ptyO*' unhide
add path 'ttyp*' unhide
add path 'ttyq*' unhide
add path 'ttyr*' unhide
add path 'ttys*' unhide
add path 'ttyP*' unhide
add path 'ttyQ*' unhide
add path 'ttyR*' unhide
add path 'ttyS*' unhide
add path 'ttyl*' unhide
add path 'ttym*' unhide
add path 'ttyn*' unhide
add path 'ttyo*' unhide
add path 'ttyL*' unhide
add path 'ttyM*' unhide
add path 'ttyN*' unhide
add path 'ttyO*' unhide
add path ptmx unhide
add path pts unhide
add path 'pts/*' unhide
add path fd unhide
add path 'fd/*' unhide
add path stdin unhide
add path stdout unhide
add path stderr unhide

# Devices usually found in a jail.
#
[devfsrules_jail=4]
add include $devfsrules_hide_all
add include $devfsrules_unhide_basic
add include $devfsrules_unhide_login
add path fuse unhide
add path zfs unhide

[devfsrules_jail_vnet=5]
add include $devfsrules_hide_all
add include $devfsrules_unhide_basic
add include $devfsrules_unhide_login
add include $devfsrules_jail
add path pf unhide
";
