//! What can stop a sandbox from starting.

use std::net::SocketAddr;
use std::path::PathBuf;

/// An error starting or running the sandbox (its configuration, seed or state).
/// Errors answering a request are HTTP answers, not this type.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SandboxError {
    /// A `--token` value is malformed.
    #[error("invalid token `{spec}`: {reason}")]
    #[diagnostic(
        code(zeeg::sandbox::token),
        help(
            "write `--token TOKEN` for read and write, or `--token TOKEN:crm:read` for read only"
        )
    )]
    BadToken {
        /// The offending value with its secret part hidden.
        spec: String,
        reason: String,
    },

    /// A `--custom-attribute` value or a seed's attribute declaration is malformed.
    #[error("invalid custom attribute `{spec}`: {reason}")]
    #[diagnostic(
        code(zeeg::sandbox::custom_attribute),
        help(
            "write SLUG:TYPE with a snake_case slug and one of the types text, number, phone_number, date, datetime, checkbox, select, multiselect, rating, relation, status, user, currency"
        )
    )]
    BadCustomAttribute { spec: String, reason: String },

    /// The same custom attribute is declared twice with different types.
    #[error("custom attribute `{slug}` is declared as both `{first}` and `{second}`")]
    #[diagnostic(
        code(zeeg::sandbox::attribute_conflict),
        help(
            "declare each custom attribute with one type and the same options across `--custom-attribute`, the seed file and the existing state (delete the state file to start over)"
        )
    )]
    AttributeConflict {
        slug: String,
        first: String,
        second: String,
    },

    /// Another process runs a sandbox on the same state file.
    #[error("the sandbox state {} is in use by another zeeg process", path.display())]
    #[diagnostic(
        code(zeeg::sandbox::state_in_use),
        help(
            "one sandbox at a time may own a state: stop the other `zeeg sandbox serve --state` \
             (or wait for the other `--sandbox` command to finish), or give this one another \
             --state file"
        )
    )]
    StateInUse { path: PathBuf },

    /// The lock file beside the state could not be opened or locked.
    #[error("could not lock the sandbox state with {}", path.display())]
    #[diagnostic(
        code(zeeg::sandbox::state_lock),
        help("check that the folder of the state file is writable")
    )]
    StateLock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `--fail-rate` is not a share between 0 and 1.
    #[error("invalid fail rate {value}: it must be between 0 and 1")]
    #[diagnostic(
        code(zeeg::sandbox::fail_rate),
        help("e.g. `--fail-rate 0.3` fails about 30% of requests")
    )]
    BadFailRate { value: f64 },

    /// `--rate-limit 0` would refuse every request.
    #[error("invalid rate limit 0: it must be at least 1 request per second")]
    #[diagnostic(
        code(zeeg::sandbox::rate_limit),
        help("leave out `--rate-limit` for no limit")
    )]
    BadRateLimit,

    /// `--rate-schedule` is not a list of RATE@SECONDS steps.
    #[error("invalid rate schedule `{text}`: {reason}")]
    #[diagnostic(
        code(zeeg::sandbox::rate_schedule),
        help(
            "e.g. `--rate-schedule 100@0,20@5,100@15`: 100 requests per second from the first request, 20 from 5 s on, 100 from 15 s on"
        )
    )]
    BadRateSchedule { text: String, reason: String },

    /// `--rate-burst 0` would refuse every request.
    #[error("invalid rate burst 0: the bucket must hold at least 1 request")]
    #[diagnostic(
        code(zeeg::sandbox::rate_burst),
        help("leave out `--rate-burst` for a bucket of one second's requests")
    )]
    BadRateBurst,

    /// `--fail-mix` is not a list of FAULT=SHARE.
    #[error("invalid fail mix `{text}`: {reason}")]
    #[diagnostic(
        code(zeeg::sandbox::fail_mix),
        help(
            "e.g. `--fail-mix 500=0.4,429=0.3,drop=0.3`; the faults are 500, 429 (with Retry-After), 429-bare (without) and drop"
        )
    )]
    BadFailMix { text: String, reason: String },

    /// The seed file could not be read.
    #[error("cannot read the seed file {}", path.display())]
    #[diagnostic(
        code(zeeg::sandbox::seed_read),
        help("check that the file exists and is readable")
    )]
    SeedRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The seed file is neither valid JSON nor valid YAML.
    #[error("the seed file {} is not valid {format}: {reason}", path.display())]
    #[diagnostic(
        code(zeeg::sandbox::seed_syntax),
        help(
            "a seed is a list of people in the API's shape, or a mapping with `people`, `companies` and `customAttributes`"
        )
    )]
    SeedSyntax {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },

    /// The seed file parses, but its content is not a valid seed.
    #[error("the seed file {} is invalid at {at}: {message}", path.display())]
    #[diagnostic(
        code(zeeg::sandbox::seed_invalid),
        help(
            "a seed is a list of people in the API's shape, or a mapping with `people`, `companies` (both in the API's shape) and `customAttributes` (slug → type); fix the value named above"
        )
    )]
    SeedInvalid {
        path: PathBuf,
        at: String,
        message: String,
    },

    /// The state database could not be opened, read or written.
    #[error("cannot use the sandbox state {}", path.display())]
    #[diagnostic(
        code(zeeg::sandbox::state),
        help(
            "check that the directory exists and is writable, and that the file is a zeeg sandbox state (SQLite)"
        )
    )]
    State {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// A stored row of the state database is not a person the sandbox wrote.
    #[error("the sandbox state {} holds an unreadable record ({reason})", path.display())]
    #[diagnostic(
        code(zeeg::sandbox::state_corrupt),
        help("move the file away to start with an empty state")
    )]
    StateCorrupt { path: PathBuf, reason: String },

    /// The project's `.zeeg/` directory could not be created.
    #[error("cannot create the directory {}", path.display())]
    #[diagnostic(
        code(zeeg::sandbox::project_dir),
        help("check the permissions of the project directory")
    )]
    ProjectDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}")]
    #[diagnostic(
        code(zeeg::sandbox::bind),
        help("pick another address or port; `--addr 127.0.0.1:0` picks a free port")
    )]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },

    /// The server stopped with an I/O error.
    #[error("the sandbox server failed")]
    #[diagnostic(
        code(zeeg::sandbox::serve),
        help("run it again; if it keeps failing, report a bug")
    )]
    Serve {
        #[source]
        source: std::io::Error,
    },
}
