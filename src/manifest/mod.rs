//! People files: finding them, parsing YAML with source positions, the typed
//! model, schema validation, semantic checks and diagnostics.
//!
//! What the rest of zeeg sees is a [`Manifest`] from [`load`]: the desired
//! entries, each with its managed fields as API JSON and the place it was
//! written; or [`Diagnostics`]: every problem of every file.

mod diagnostic;
mod discover;
mod entry;
mod load;
pub mod model;
mod schema_check;
mod source;
mod yaml;

pub use diagnostic::{Diagnostics, ManifestError, Place, Problem, ProblemRecord};
pub use discover::CONFIG_FILE;
pub use entry::{Entry, SourceFile, SourceLocation};
pub use load::{Manifest, load};
pub use model::{Config, Person, config_schema, people_schema};
pub use source::SourceText;
