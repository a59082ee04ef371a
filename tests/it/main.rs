//! One integration-test binary (fast to link). Every test runs the real `zeeg`
//! binary and, where the API is involved, a real sandbox over loopback HTTP.

mod apply;
mod cli;
mod client;
mod common;
mod import;
mod plan;
mod recipes;
mod resilience;
mod sandbox;
mod schema;
mod validate;
