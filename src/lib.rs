//! vimage: vnet (VIMAGE) networking for FreeBSD jails.
//!
//! The pipeline, and the module that holds each part:
//!
//! ```text
//!  CLI / CBSD DB / rc.conf ──► JailNet (model)          desired network of one jail
//!  Host ──► discover ──► HostView (facts)               what the kernel and our records say
//!  plan(JailNet, HostView) ──► Plan (plan)              pure: every name, MAC, check decided here
//!  exec::apply(Host, Plan, Journal) ──► Report (exec)   journal each step, roll back on failure
//!  Host (host): FreeBsdHost spawns ifconfig/jls/…; SimHost runs them against sim::Sim
//! ```
//!
//! Parsers of FreeBSD output live in `parse` and do no I/O.

pub mod host;
pub mod sim;
