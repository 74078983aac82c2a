//! Tests of the layering.
