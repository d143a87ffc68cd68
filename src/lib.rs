//! sgperms: ShotGrid (Flow Production Tracking) permission tables made
//! readable, versionable and spreadsheet-editable.
//!
//! The core is pure Rust and tested with `cargo test` alone; the Python
//! bindings live in `bindings` behind the `python` feature.

#![warn(missing_docs)]

pub mod atomic;
pub mod audit;
pub mod csvio;
pub mod diff;
pub mod folder;
pub mod intern;
pub mod matrix;
pub mod model;
pub mod normalize;
pub mod report;
pub mod safe;
pub mod schema;
pub mod snapshot;
pub mod tiers;
pub mod vocab;
pub mod webapp;

#[cfg(feature = "python")]
mod bindings;
