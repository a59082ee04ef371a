use clap::Parser;

fn main() -> std::process::ExitCode {
    match zeeg::cli::Cli::try_parse() {
        Ok(cli) => zeeg::commands::run(cli).into(),
        Err(error) => zeeg::commands::command_line_error(&error).into(),
    }
}
