//! `zeeg completions SHELL` and `zeeg man`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::ExitStatus;

pub fn completions(args: CompletionsArgs) -> miette::Result<ExitStatus> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "zeeg", &mut std::io::stdout());
    Ok(ExitStatus::Success)
}

pub fn man() -> miette::Result<ExitStatus> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    page.render(&mut out)
        .map_err(|e| miette::miette!("could not render the man page: {e}"))?;
    std::io::Write::write_all(&mut std::io::stdout(), &out)
        .map_err(|e| miette::miette!("could not write the man page: {e}"))?;
    Ok(ExitStatus::Success)
}
