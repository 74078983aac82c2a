//! Test support for vimage, kept out of the product: vimage's integration tests, benchmarks
//! and examples depend on this crate (a dev-dependency); the `vimage` library and binary do
//! not, so none of it is public product API or ships in the FreeBSD build.

#![warn(missing_docs)]

pub mod fixture;
