//! Gathers the stored sources of a jail's network for `vimage bridge` — `vimage set`'s
//! settings, CBSD's inventory of the jail (its `jailnic` rows, when vimage runs under a CBSD
//! `workdir` and CBSD knows the jail), the rc.conf userland — and hands them to the resolver
//! ([`crate::resolve`]), which alone decides the precedence. (The MACs vimage chooses go
//! back to CBSD's rows through [`crate::cbsd::writeback`].)

use crate::cbsd::{self, CbsdJail, DbOptions, Workdir};
use crate::error::Result;
use crate::model::{JailName, JailNet};
use crate::paths::Paths;
use crate::resolve::{self, Partial, Stored};
use crate::settings::JailSettings;

pub use crate::resolve::Source;

/// The resolved network and, for a CBSD jail, what CBSD said about it.
#[derive(Debug)]
pub struct Desired {
    /// The network to plan for.
    pub net: JailNet,
    /// Where `net`'s NICs came from, so messages can say why a jail gets this network.
    pub source: Source,
    /// CBSD's view of the jail, when CBSD was the source: the MACs vimage generates are written
    /// back to its `jailnic` rows.
    pub cbsd: Option<CbsdJail>,
}

/// The stored sources as files and databases on this host, read when the resolver asks.
struct OnHost<'a> {
    wd: Option<&'a Workdir>,
    paths: &'a Paths,
    cbsd: Option<CbsdJail>,
}

impl Stored for OnHost<'_> {
    fn cbsd(&mut self, jail: &JailName) -> Result<Option<Partial>> {
        let Some(wd) = self.wd.filter(|w| w.local_db().exists()) else { return Ok(None) };
        Ok(cbsd::to_jailnet::lookup(wd, jail, &DbOptions::default())?.map(|(c, p)| {
            self.cbsd = Some(c);
            p
        }))
    }

    fn rcconf(&mut self, jail: &JailName) -> Result<Partial> {
        Ok(Partial { userland: crate::rcd::userland_of(self.paths, jail)?, ..Partial::default() })
    }
}

/// Resolves the desired network of `jail` from the command line's `cli`, the stored
/// settings `set`, CBSD under `wd` and the rc.conf files under `paths`.
pub fn resolve(
    jail: &JailName,
    cli: &Partial,
    set: &JailSettings,
    wd: Option<&Workdir>,
    paths: &Paths,
) -> Result<Desired> {
    let mut on_host = OnHost { wd, paths, cbsd: None };
    let (net, source) = resolve::resolve(jail, cli, set, &mut on_host)?;
    let cbsd = on_host.cbsd.filter(|_| source == Source::Cbsd);
    Ok(Desired { net, source, cbsd })
}
