//! The command line, as clap types. Nothing here does work: each subcommand in
//! [`crate::commands`] turns these into options and calls the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keep the people of your Zeeg CRM in YAML files in git: `plan` shows what
/// would change, `apply` makes it so.
#[derive(Debug, Parser)]
#[command(
    name = "zeeg",
    version = env!("ZEEG_LONG_VERSION"),
    about,
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Base URL of the Zeeg API. Plain http:// is refused for anything but loopback.
    #[arg(
        long,
        global = true,
        env = "ZEEG_API_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub api_url: Option<String>,

    /// Read the API token from this file instead of the ZEEG_API_TOKEN variable.
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// When to colour output. `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more about what zeeg does (never request bodies or the token).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check people files offline: schema, formats, duplicates. No network.
    #[command(after_help = "Example:\n  zeeg validate people/")]
    Validate(ValidateArgs),

    /// Print the JSON Schema of a people file, or write both schemas to a folder.
    #[command(after_help = "Example:\n  zeeg schema --out schema/")]
    Schema(SchemaArgs),

    /// Validate, read the live CRM, and show what apply would change.
    #[command(
        after_help = "Examples:\n  zeeg plan people/\n  zeeg plan --sandbox examples/acme\n  zeeg plan --format markdown --detailed-exitcode > plan.md"
    )]
    Plan(PlanArgs),

    /// Plan (or load a saved plan), confirm, and upsert the changes.
    #[command(
        after_help = "Examples:\n  zeeg apply people/\n  zeeg apply --auto-approve --plan zeeg.plan"
    )]
    Apply(ApplyArgs),

    /// Write YAML files for the people already in the CRM.
    #[command(after_help = "Example:\n  zeeg import --out people/")]
    Import(ImportArgs),

    /// Check the workspace against the API assumptions zeeg makes (read-only unless --write).
    #[command(
        after_help = "Examples:\n  zeeg doctor\n  zeeg doctor --write\n  zeeg doctor --format json > doctor.json"
    )]
    Doctor(DoctorArgs),

    /// Run the local emulator of the Zeeg API.
    #[command(subcommand)]
    Sandbox(SandboxCommand),

    /// Print shell completions.
    #[command(after_help = "Example:\n  zeeg completions bash > /etc/bash_completion.d/zeeg")]
    Completions(CompletionsArgs),

    /// Print the man page (roff).
    #[command(after_help = "Example:\n  zeeg man > zeeg.1")]
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files or folders to check (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// How to print problems.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write `people.schema.json` and `config.schema.json` into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

/// Options shared by `plan` and `apply`.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Files or folders of people (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Run against an in-process sandbox whose state lives in `.zeeg/`.
    #[arg(long)]
    pub sandbox: bool,

    /// Mask emails, phone numbers and free text in what is printed.
    #[arg(long, overrides_with = "no_redact")]
    pub redact: bool,

    /// Print contact data in clear, even for markdown in CI.
    #[arg(long, overrides_with = "redact")]
    pub no_redact: bool,

    /// Only entries whose file path or email matches this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,

    /// Leave out entries whose file path or email matches this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,

    /// Also save the plan (without contact data in clear) for `apply --plan`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Exit 2 when there are changes (0: none, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Apply a plan saved by `plan --out`; changes that no longer match are refused.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,

    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long)]
    pub auto_approve: bool,

    /// Requests in flight at once (default 4, or `apply.parallelism` in zeeg.yaml).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: Option<u16>,

    /// Apply even when more entries would be updated than `apply.maxUpdatePercent` allows.
    #[arg(long)]
    pub force: bool,

    /// Apply even when the plan removes attribute options that live records hold (their values are cleared).
    #[arg(long)]
    pub allow_destructive: bool,

    /// Output format of the results.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The project folder: its zeeg.yaml's `apiUrl`, and its sandbox for --sandbox
    /// (default: the current folder).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    /// Check the in-process sandbox whose state lives in `.zeeg/`.
    #[arg(long)]
    pub sandbox: bool,

    /// Also run the checks that write: re-assert one existing person with its
    /// own values (which changes nothing if the API behaves as zeeg assumes).
    #[arg(long)]
    pub write: bool,

    /// Do not ask before the write checks (needed for --write without a terminal).
    #[arg(long, requires = "write")]
    pub auto_approve: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,

    /// Show contact data in what the checks observed (by default only counts,
    /// ids and field names).
    #[arg(long)]
    pub no_redact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitBy {
    /// One file for everybody.
    None,
    /// One file per company.
    Company,
    /// Files of at most 500 people each.
    FileSize,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Folder to write the YAML files into. It must not hold YAML files yet
    /// (import never overwrites a file) nor be a symbolic link.
    #[arg(long, value_name = "DIR", default_value = "people")]
    pub out: PathBuf,

    /// How to split people into files.
    #[arg(long, value_enum, default_value_t = SplitBy::None)]
    pub split_by: SplitBy,

    /// Import from an in-process sandbox whose state lives in `.zeeg/`.
    #[arg(long)]
    pub sandbox: bool,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the emulator until Ctrl-C. Prints `listening on http://HOST:PORT/v2`, the URL for
    /// ZEEG_API_URL, and the token when it is the built-in one.
    #[command(
        after_help = "Example:\n  zeeg sandbox serve --addr 127.0.0.1:8080 --token dev-token --state sandbox.db"
    )]
    Serve(SandboxServeArgs),
}

#[derive(Debug, Args)]
pub struct SandboxServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Keep state durably in this file (SQLite). Without it, state is in memory.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Start with these people and companies (YAML or JSON): a list of
    /// persons, or a mapping with `people`, `companies` and `customAttributes`.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,

    /// Accept this token: `TOKEN` reads and writes, `TOKEN:crm:read` only reads (repeatable).
    /// Without any `--token`, the sandbox accepts `zeeg-sandbox-token` for reading and
    /// writing, and says so on stderr at start.
    #[arg(long = "token", value_name = "TOKEN")]
    pub tokens: Vec<String>,

    /// Declare a custom attribute of the people object, e.g. `seats:number`, with its
    /// options for select and multiselect: `tier:select=gold|silver` (repeatable).
    #[arg(long = "custom-attribute", value_name = "SLUG:TYPE")]
    pub custom_attributes: Vec<String>,

    /// Answer 429 (with `Retry-After` in seconds) beyond this many requests per second: a
    /// token bucket that starts empty, as when other integrations of the workspace have just
    /// used it.
    #[arg(long, value_name = "N", conflicts_with = "rate_schedule")]
    pub rate_limit: Option<u32>,

    /// The rate limit's bucket holds at most this many requests (default: one second's
    /// worth).
    #[arg(long, value_name = "B")]
    pub rate_burst: Option<u32>,

    /// A rate limit that changes during the run: `100@0,20@5,100@15` allows 100 requests
    /// per second from the first request, 20 from 5 s after it, 100 again from 15 s.
    #[arg(long, value_name = "RATE@SECONDS,...")]
    pub rate_schedule: Option<String>,

    /// Wait this many milliseconds before answering each request.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,

    /// Share of requests (0..1) that fail whatever the rate: by default alike answered 500,
    /// 429 with `Retry-After`, 429 without it, or with the connection dropped.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub fail_rate: f64,

    /// How `--fail-rate`'s failures divide: `500=0.4,429=0.3,drop=0.3` (faults: `500`,
    /// `429` with `Retry-After`, `429-bare` without, `drop`).
    #[arg(long, value_name = "FAULT=SHARE,...")]
    pub fail_mix: Option<String>,

    /// Every 429 says `Retry-After: SECONDS` (default: the rate limit's own wait, rounded up;
    /// 1 for `--fail-rate`'s).
    #[arg(long, value_name = "SECONDS")]
    pub retry_after: Option<u64>,

    /// Send `Retry-After` as an HTTP date instead of seconds.
    #[arg(long)]
    pub retry_after_date: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
