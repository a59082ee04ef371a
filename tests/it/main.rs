//! One integration-test binary (fast to link). Where the API is involved, a
//! test talks HTTP on loopback to a real sandbox or a per-test mock server.
//!
//! - Most modules run the real `zeeg` binary (`common::zeeg`), and snapshot
//!   the runs whose whole output is the behaviour with `zeeg_snapshot!`.
//! - `client` and `attributes_api` call the API client as a library, against
//!   the sandbox binary (and, in `client`, per-test mocks); `validate`,
//!   `doctor` and `attributes_declared` also call the loader or the sandbox
//!   as a library beside their runs of the binary; `version` also calls
//!   `build/provenance.rs`, the build script's code, directly.
//! - `action`, `recipes` and `runner` run no `zeeg`: they run the GitHub
//!   Action and the CI recipes by a stand-in runner against a stand-in
//!   `zeeg`; `release` checks the release configuration with cargo and a
//!   workflow validator.

mod action;
mod apply;
mod attributes_api;
mod attributes_declared;
mod attributes_plan;
mod cli;
mod client;
mod common;
mod companies;
mod doctor;
mod exit_codes;
mod hostile;
mod import;
mod plan;
mod plan_pages;
mod project;
mod recipes;
mod redaction;
mod release;
mod resilience;
mod runner;
mod sandbox;
mod sandbox_state;
mod schema;
mod security;
mod terminal;
mod validate;
mod version;
