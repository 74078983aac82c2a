//! vimage: vnet (VIMAGE) networking for FreeBSD jails.
//!
//! The pipeline, and the module that holds each part:
//!
//! ```text
//!  CLI / CBSD DB / rc.conf ──► resolve ──► JailNet (model)  desired network of one jail
//!  Host ──► facts::gather ──► HostView (facts)              what the kernel and the records say
//!  plan::plan_bridge(JailNet, HostView) ──► Plan (plan)     pure: every name, MAC, check decided here
//!  exec::apply(Host, Plan, StateDb) ──► Report (exec)       journal each step, roll back on failure
//!  Host (host): FreeBsdHost spawns ifconfig/jls/…; SimHost runs them against sim::Sim
//! ```
//!
//! The modules stand in five wings, lowest first. A module imports only from its own wing
//! (without a circle) or from a wing below it; `tests/floors.rs` checks this on every test
//! run, so the list below is the rule, not a wish.

#![warn(missing_docs)]

// ── host: FreeBSD's commands, files and text, and vimage's own error type ──────────────────
pub mod buildinfo;
pub mod devfs;
pub use vimage_base::elf;
pub mod error;
pub mod host;
pub mod lock;
pub mod parse;
pub mod paths;
pub mod shvars;
pub mod suggest;
/// The simulated FreeBSD host (crates/fbsd-sim), under the name the product and its tests
/// have always used; only in builds with the `simulator` feature.
#[cfg(feature = "simulator")]
pub use fbsd_sim as sim;

// ── model: the vocabulary — validated names, a jail's network, markers, the kernel contract ─
pub mod mac;
pub mod model;
pub mod naming;
pub mod op;
pub mod settings;

// ── inputs: where a jail's network comes from — CBSD, rc.conf, the command line's keys ─────
pub mod cbsd;
pub mod construct;
pub mod desired;
pub mod rcd;
pub mod resolve;

// ── core: what vimage knows (records, gathered facts) and decides (plans) ─────────────────
pub mod facts;
pub mod plan;
pub mod state;

// ── run: applying plans, host file edits, sessions, the audit trail, the command line ─────
pub mod audit;
pub mod cli;
pub mod exec;
pub mod fsedit;
pub mod ops;
