use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = zeeg::cli::Cli::parse();
    zeeg::commands::run(cli).into()
}
