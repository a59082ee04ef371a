//! One integration-test binary (fast to link). Where the API is involved, a
//! test talks HTTP on loopback to a real sandbox or a per-test mock server.
//!
//! - Most modules run the real `zeeg` binary (`common::zeeg`).
//! - `client` calls the API client as a library, against the sandbox binary
//!   and per-test mocks; `validate` and `doctor` also call the loader and the
//!   sandbox as a library beside their runs of the binary.
//! - `action`, `recipes` and `runner` run the GitHub Action and the CI recipes
//!   by a stand-in runner against a stand-in `zeeg`; `release` checks the
//!   release configuration with cargo and a workflow validator.

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
