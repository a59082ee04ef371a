//! People files: finding them, parsing YAML with source positions, the typed
//! model, schema validation, semantic checks and diagnostics.
//!
//! What the rest of zeeg sees is a [`Manifest`]: the desired entries, each with
//! its managed fields as API JSON and the place it was written.

mod entry;
pub mod model;
#[allow(dead_code)] // used by the loader, next commit
mod yaml;

pub use entry::{Entry, SourceFile, SourceLocation};
pub use model::{config_schema, people_schema};
