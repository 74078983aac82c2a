//! The floor under vimage and its simulator: the few pieces both need, depending on neither.
//!
//! vimage (the product) and `fbsd-sim` (the simulated FreeBSD host its tests run against) must
//! agree on these byte for byte — the shape of a command's result, how rc.subr reads a
//! devfs.rules header, how a path inside a jail's root resolves, what brand an ELF binary
//! carries — so each lives here once and both import it; and the file layer both write
//! through (a line splitter, one atomic write, one lock helper). Nothing here knows about jails'
//! networks, plans or the simulated kernel.

#![warn(missing_docs)]

pub mod devfs_rules;
pub mod elf;
pub mod file;
pub mod lines;
pub mod output;
pub mod paths;

pub use output::Output;
pub use paths::resolve_in_root;
