//! `scenarios`: scenario-driven conformance testing for the Key Vault emulator.
//!
//! - [`case`]: the TOML scenario format and its loader (errors name file, line and field):
//!   `case/{scenario,setup,expect,load,validate,position}.rs`, `case/step/` one struct per
//!   step kind.
//! - [`services`]: vault and ca-sim started in-process on free ports, or found at URLs.
//! - [`client`]: HTTPS clients for vault and ca-sim's admin API.
//! - [`extca`]: the runner's own CA for the non-partnered flow and for imports.
//! - [`http01`]: the runner's ACME http-01 responder on loopback.
//! - [`runner`]: runs scenarios (concurrently where their names do not collide), reports
//!   progress through [`runner::Observer`]: `runner/steps/` what each step kind sends (one
//!   function per kind, files mirroring `case/step/`), `runner/check.rs` its expectations,
//!   `runner/setup.rs` a case's setup and teardown.
//! - [`report`]: summary table, JUnit XML and JSON.
//! - [`demo`]: the narrated showcase; [`pace`] how it waits between chapters (`--ui`,
//!   `--pace`), [`dashboard`] the dashboards' URLs it and `up` print.
//! - [`load`]: the load generator behind `scenarios load` (`options`, `mix`, `poll`, `flow`,
//!   `state`, `progress`) and its [`load::report`].
//! - [`error`]: the library's error type.
//!
//! Durations, in files and flags, are read with [`shared::duration`], the workspace's one
//! grammar. The binary (`main.rs`, `cmd/`) is a thin clap CLI over this library.

pub mod case;
pub mod client;
pub mod dashboard;
pub mod demo;
pub mod error;
pub mod extca;
pub mod http01;
pub mod load;
pub mod pace;
pub mod report;
pub mod runner;
pub mod services;

pub use error::Error;
