//! `scenarios`: scenario-driven conformance testing for the Key Vault emulator.
//!
//! - [`case`]: the TOML scenario format and its loader (errors name file, line and field).
//! - [`services`]: vault and ca-sim started in-process on free ports, or found at URLs.
//! - [`client`]: HTTPS clients for vault and ca-sim's admin API.
//! - [`extca`]: the runner's own CA for the non-partnered flow and for imports.
//! - [`runner`]: runs scenarios (concurrently where their names do not collide), reports
//!   progress through [`runner::Observer`].
//! - [`report`]: summary table, JUnit XML and JSON.
//! - [`demo`]: the narrated showcase.
//! - [`load`]: the load generator behind `scenarios load` and its report.

pub mod case;
pub mod client;
pub mod demo;
pub mod error;
pub mod extca;
pub mod load;
pub mod report;
pub mod runner;
pub mod services;

pub use error::Error;
