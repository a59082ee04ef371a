//! `zeeg` keeps the people of a Zeeg CRM workspace in YAML files in git.
//!
//! Data flows one way:
//!
//! ```text
//! YAML files ─► manifest ─► (desired entries, with source spans)
//!                                │
//! API / sandbox ─► api ─► (live people) ─► plan ─► render (text | json | markdown)
//!                                            │
//!                                            └─► apply ─► api (PUT)
//! ```
//!
//! Where to look first (one file each):
//!
//! - Where does plan read the CRM? [`plan::sequence`] (`src/plan/sequence.rs`):
//!   the reads `plan` and `apply` both make, in order, over any
//!   [`plan::live::LiveSource`] (the client, or a test's in-memory CRM):
//!   the objects' schemas and totals, the attribute plan, the custom values
//!   checked, the people and companies read, unknown company ids refused.
//! - Where are a person's fields defined? [`person`] (`src/person.rs`): the
//!   field table [`person::FIELDS`] that the writable fields, the slugs and
//!   [`person::MatchingAttribute`] are read from; the declared person, the
//!   live person and the sandbox's people object are tested against it.
//! - What does apply do first? [`apply::phases`] (`src/apply/phases.rs`):
//!   the attribute changes, then the companies, then the people. Before
//!   them, `zeeg apply` (`src/commands/apply.rs`) plans afresh or checks a
//!   saved plan, refuses past the safety limit, and asks.
//!
//! - [`person`]: the person resource's fields and attribute slugs, shared vocabulary.
//! - [`company`]: the company resource's managed field, the link keys and the
//!   domain rule, shared vocabulary.
//! - [`manifest`]: finding, parsing and validating people files.
//! - [`api`]: the HTTP client of the Zeeg CRM API.
//! - [`plan`]: desired vs live, the `Plan` value and its renderers.
//! - [`redact`]: masking contact data in what `--redact` prints.
//! - [`apply`]: executing a plan.
//! - [`sandbox`]: the local emulator of the Zeeg API.
//! - [`import`]: writing the people already in the CRM as people files.
//! - [`doctor`]: checking a workspace against the API assumptions zeeg makes.
//! - [`targeting`]: `--only` / `--exclude`, which entries a plan works on.
//! - [`plural`]: counts with the noun that agrees with them, the words
//!   that agree with a count, and lists in prose (`a, b and c`).
//! - [`terminal`]: escaping text from files and servers before it is printed.
//! - [`secret`]: the token and other secrets, cut out of what is printed.
//! - [`files`]: reading and writing files named on the command line, bounded
//!   and without blocking or replacing device nodes.
//! - [`cli`] and [`commands`]: the command line, one module per subcommand;
//!   [`printer`] (where output goes) and [`project`] (the entries a command
//!   works on, the API it talks to) are what the commands share.

pub mod api;
pub mod apply;
pub mod cli;
pub mod commands;
pub mod company;
pub mod doctor;
pub mod exit;
pub mod files;
pub mod import;
pub mod interrupt;
pub mod manifest;
pub mod person;
pub mod plan;
pub mod plural;
pub mod printer;
pub mod project;
pub mod redact;
pub mod sandbox;
pub mod secret;
pub mod targeting;
pub mod terminal;
