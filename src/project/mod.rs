//! The project a command works on, found the same way by every command: its
//! people files as plan and apply take them (`entries.rs`), and the API it
//! talks to, or its sandbox (`connect.rs`).

mod connect;
mod entries;

pub use connect::{Connection, connect, connect_for_folder};
pub use entries::{load, print_diagnostics, report_invalid, secrets, select_entries};
