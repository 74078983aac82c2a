//! A simulated FreeBSD host: a kernel model ([`Kernel`]) with FreeBSD's rules for vnets,
//! epair(4), if_bridge(4), netgraph (ng_ether, ng_bridge, ng_eiface), jails, devfs rulesets,
//! default routes, modules and sysctls, a DHCP server on the LAN, and the userland commands
//! (`ifconfig`, `ngctl`, `jls`, `jail`, `jexec`, `sysctl`, `kldstat`, `kldload`, `route`,
//! `devfs`, `dhclient`, and a `cbsd jset` stand-in) that print
//! what FreeBSD prints. We have no FreeBSD machine; everything that touches the kernel is
//! tested here.
//!
//! [`Sim::exec`] runs one command line in the host context. The `fbsd-sim` program
//! ([`cli`]) runs the same commands from a state file, so the real argv-building and
//! output-parsing code path runs end to end on Linux.

pub mod cli;
mod errno;
mod fnmatch;
pub mod kernel;
mod userland;

pub use errno::Errno;
pub use kernel::{IfView, Kernel, Snapshot};

use serde::{Deserialize, Serialize};
use std::io;
use std::path::Path;
use vimage_base::Output;

/// The simulated machine.
///
/// Exists so in-process tests (vimage's `SimHost`) and the `fbsd-sim` program share one
/// entry point and one on-disk format (JSON of this struct).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sim {
    /// The whole kernel state; tests arrange and inspect it directly.
    pub kernel: Kernel,
}

impl Sim {
    /// A machine running `kernel`.
    pub fn new(kernel: Kernel) -> Sim {
        Sim { kernel }
    }

    /// Runs one command line as FreeBSD would, in the host context. `program` is `ifconfig`,
    /// `jls`, … (a path is reduced to its last component); `args` exclude `argv[0]`. Never
    /// panics; an unknown program exits 127 with `<prog>: not found`.
    pub fn exec(&mut self, program: &str, args: &[String]) -> Output {
        userland::run(&mut self.kernel, kernel::Ctx::HOST, program, args)
    }

    /// [`Sim::exec`] with `stdin` for the process to read: how `ngctl -f -` gets its batch of
    /// commands. Commands that do not read stdin ignore it.
    pub fn exec_with_input(&mut self, program: &str, args: &[String], stdin: Option<&str>) -> Output {
        userland::run_input(&mut self.kernel, kernel::Ctx::HOST, program, args, stdin)
    }

    /// Reads a state file written by [`Sim::save`].
    pub fn load(path: &Path) -> io::Result<Sim> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Writes the state atomically (temporary file in the same directory, then rename), so a
    /// crash never leaves a half-written state file.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let json = serde_json::to_string(self).map_err(io::Error::other)?;
        write_atomic(path, json.as_bytes())
    }
}

/// Replaces `path` with `data` atomically (`vimage_base::file::write_atomic`, the same write
/// vimage uses). A symlink at `path` is replaced, not followed: the simulated files live under
/// a directory standing for `/`, and a link's target there is not the host's.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    vimage_base::file::write_atomic(path, data, vimage_base::file::Symlink::Replace).map_err(|e| e.source)
}
