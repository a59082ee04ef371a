//! People files: finding them, parsing YAML with source positions, the typed
//! model, schema validation, semantic checks and diagnostics.
//!
//! What the rest of zeeg sees is a [`Manifest`]: the desired entries, each with
//! its managed fields as API JSON and the place it was written.

mod entry;

pub use entry::{Entry, SourceFile, SourceLocation};
