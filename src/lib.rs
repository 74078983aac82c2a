//! vimage: vnet (VIMAGE) networking for FreeBSD jails.
//!
//! The pipeline, and the module that holds each part:
//!
//! ```text
//!  CLI / CBSD DB / rc.conf ──► JailNet (model)              desired network of one jail
//!  Host ──► facts::gather ──► HostView (facts)              what the kernel and the records say
//!  plan::plan_bridge(JailNet, HostView) ──► Plan (plan)     pure: every name, MAC, check decided here
//!  exec::apply(Host, Plan, StateDb) ──► Report (exec)       journal each step, roll back on failure
//!  Host (host): FreeBsdHost spawns ifconfig/jls/…; SimHost runs them against sim::Sim
//! ```
//!
//! `ops` strings these together for every front end; `cli` is the command line.
//! Parsers of FreeBSD output live in `parse` and do no I/O.

#![warn(missing_docs)]

pub mod buildinfo;
pub mod cbsd;
pub mod cli;
pub mod construct;
pub mod desired;
pub mod devfs;
pub use vimage_base::elf;
pub mod error;
pub mod exec;
pub mod facts;
pub mod fsedit;
pub mod host;
pub mod lock;
pub mod mac;
pub mod model;
pub mod naming;
pub mod op;
pub mod ops;
pub mod parse;
pub mod paths;
pub mod plan;
pub mod rcd;
pub mod resolve;
pub mod settings;
pub mod shvars;
/// The simulated FreeBSD host (crates/fbsd-sim), under the name the product and its tests
/// have always used; only in builds with the `simulator` feature.
#[cfg(feature = "simulator")]
pub use fbsd_sim as sim;
pub mod state;
