use clap::Parser;

// Loading a big people file makes millions of small allocations and frees
// them out of order; mimalloc keeps that faster and hands memory back
// instead of fragmenting it (a 50 MB file: see the README's performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match zeeg::cli::Cli::try_parse() {
        Ok(cli) => zeeg::commands::run(cli).into(),
        Err(error) => zeeg::commands::command_line_error(&error).into(),
    }
}
