//! One module per subcommand. Each turns clap arguments into options, calls the
//! library, and returns an [`ExitStatus`]; clap types stop here.

mod completions;

pub mod apply;
pub mod doctor;
pub mod import;
pub mod plan;
pub mod sandbox;
pub mod schema;
pub mod validate;

use crate::cli::{Cli, Command, SandboxCommand};
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Runs a parsed command line to its exit status. Errors are printed here, once,
/// as miette diagnostics.
pub fn run(cli: Cli) -> ExitStatus {
    let printer = Printer::new(&cli.global);
    printer.install_error_hook();
    init_logging(cli.global.verbose, cli.global.quiet, printer.stderr_color());

    let result = match cli.command {
        Command::Validate(args) => validate::run(&printer, &cli.global, args),
        Command::Schema(args) => schema::run(&printer, args),
        Command::Plan(args) => block_on(interruptible(
            &printer,
            plan::run(&printer, &cli.global, args),
        )),
        Command::Apply(args) => {
            let threads = Threads::for_sandbox(args.target.sandbox);
            block_on_with(threads, apply::run(&printer, &cli.global, args))
        }
        Command::Import(args) => block_on(interruptible(
            &printer,
            import::run(&printer, &cli.global, args),
        )),
        Command::Doctor(args) => block_on(doctor::run(&printer, &cli.global, args)),
        Command::Sandbox(SandboxCommand::Serve(args)) => block_on(sandbox::serve(&printer, args)),
        Command::Completions(args) => completions::completions(&printer, args),
        Command::Man => completions::man(&printer),
    };
    match result {
        Ok(status) => status,
        Err(report) => {
            printer.error(&report);
            ExitStatus::Failure
        }
    }
}

/// Prints what clap has to say about a command line it did not run (help,
/// version, or why it does not parse) and returns the status for it.
pub fn command_line_error(error: &clap::Error) -> ExitStatus {
    // clap chose stdout for help and version, stderr for errors; a closed
    // pipe is not worth a panic.
    let _ = error.print();
    ExitStatus::for_command_line(error)
}

fn block_on<F: std::future::Future<Output = miette::Result<ExitStatus>>>(
    future: F,
) -> miette::Result<ExitStatus> {
    block_on_with(Threads::Workers, future)
}

/// Which threads a command's async work runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Threads {
    /// A worker per core, beside the thread the command runs on.
    Workers,
    /// The command's own thread only: each answer is taken in, and the next
    /// request sent, without waking another thread (see the README's
    /// "Where apply's CPU goes").
    One,
}

impl Threads {
    /// An in-process sandbox answers on the same runtime as the client, so
    /// it keeps the workers; a client of another process needs only one.
    fn for_sandbox(in_process: bool) -> Threads {
        if in_process {
            Threads::Workers
        } else {
            Threads::One
        }
    }
}

fn block_on_with<F: std::future::Future<Output = miette::Result<ExitStatus>>>(
    threads: Threads,
    future: F,
) -> miette::Result<ExitStatus> {
    let mut builder = match threads {
        Threads::Workers => tokio::runtime::Builder::new_multi_thread(),
        Threads::One => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| miette::miette!("could not start the async runtime: {e}"))?;
    runtime.block_on(future)
}

/// Runs a command that only reads the CRM until Ctrl-C or SIGTERM, which
/// end it at once with exit 130, even in the middle of a wait to retry.
/// (Apply handles its own: it lets the requests in flight finish.)
async fn interruptible<F: std::future::Future<Output = miette::Result<ExitStatus>>>(
    printer: &Printer,
    command: F,
) -> miette::Result<ExitStatus> {
    let (handle, stop) = crate::interrupt::channel();
    let listener = handle
        .listen_for_signals()
        .map_err(|e| miette::miette!("could not listen for Ctrl-C and SIGTERM: {e}"))?;
    let result = tokio::select! {
        result = command => result,
        () = stop.stopping() => {
            printer.status("Interrupted: nothing was written.");
            Ok(ExitStatus::Interrupted)
        }
    };
    listener.abort();
    result
}

fn init_logging(verbose: u8, quiet: bool, ansi: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "zeeg=info",
        (false, _) => "zeeg=debug",
    };
    // A second call (tests running commands in-process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}
