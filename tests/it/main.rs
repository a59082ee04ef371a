//! One integration-test binary (fast to link). Every test runs the real `zeeg`
//! binary and, where the API is involved, a real sandbox over loopback HTTP.

mod action;
mod apply;
mod attributes_api;
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
