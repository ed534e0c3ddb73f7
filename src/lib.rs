//! tollgate: a conformance and load-testing harness for Confluence REST API
//! authentication.
//!
//! Stages pass plain data: [`scenario`] loads YAML into typed scenarios, [`run`]
//! executes them against a target (the embedded [`mock`] by default) and produces a
//! [`report::model::RunReport`], which every reporter reads. See ARCHITECTURE.md.

pub mod auth;
pub mod bundle;
pub mod cli;
pub mod client;
pub mod commands;
pub mod expect;
pub mod load;
pub mod mock;
pub mod report;
pub mod run;
pub mod scenario;
pub mod selftest;
pub mod session;
pub mod wire;
