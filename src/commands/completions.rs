//! `zeeg completions SHELL` and `zeeg man`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::ExitStatus;
use crate::printer::Printer;

pub fn completions(printer: &Printer, args: CompletionsArgs) -> miette::Result<ExitStatus> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "zeeg", &mut script);
    printer.out(&String::from_utf8_lossy(&script));
    Ok(ExitStatus::Success)
}

/// The exit codes, as the man page states them (README "Exit codes").
const EXIT_STATUS: &[(&str, &str)] = &[
    (
        "0",
        "Success; a plan without changes (or with changes, without --detailed-exitcode).",
    ),
    (
        "1",
        "An error: invalid input, an API failure, a refusal (no terminal to confirm, the safety limit), or a command line that does not parse.",
    ),
    (
        "2",
        "plan --detailed-exitcode found changes. Nothing else exits 2.",
    ),
    ("3", "apply finished, but some entries failed."),
    (
        "4",
        "apply --plan: the saved plan is stale for some entries (the others were applied).",
    ),
    (
        "130",
        "Interrupted (Ctrl-C or SIGTERM): requests in flight finished (a second Ctrl-C abandons them; the summary counts those apart) and the summary was printed.",
    ),
];

/// The environment variables zeeg reads.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "ZEEG_API_TOKEN",
        "The API token (crm:read for plan and import, crm:write too for apply), unless --token-file is given. Never printed.",
    ),
    (
        "ZEEG_API_URL",
        "The API's base URL, as --api-url; wins over apiUrl in zeeg.yaml. Default https://api.zeeg.me/v2.",
    ),
    (
        "NO_COLOR",
        "When set and not empty, --color auto does not colour.",
    ),
    (
        "CI",
        "When set (and not false or 0), plan --format markdown redacts contact data unless --no-redact is given.",
    ),
];

/// The man page: clap's sections, with the subcommands listed in place (there
/// are no pages of their own to point to) and EXIT STATUS and ENVIRONMENT.
pub fn man(printer: &Printer) -> miette::Result<ExitStatus> {
    let command = Cli::command();
    let page = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    let render = |out: &mut Vec<u8>| -> std::io::Result<()> {
        page.render_title(out)?;
        page.render_name_section(out)?;
        page.render_synopsis_section(out)?;
        page.render_description_section(out)?;
        page.render_options_section(out)?;
        let mut text = String::from(".SH COMMANDS\n");
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            text.push_str(&format!(
                ".TP\n\\fBzeeg {}\\fR\n{}\n",
                roff(sub.get_name()),
                roff(&about)
            ));
        }
        text.push_str(".PP\nRun \\fBzeeg COMMAND \\-\\-help\\fR for the options of each.\n");
        for (title, items) in [("EXIT STATUS", EXIT_STATUS), ("ENVIRONMENT", ENVIRONMENT)] {
            text.push_str(&format!(".SH \"{title}\"\n"));
            for (name, meaning) in items {
                text.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(name), roff(meaning)));
            }
        }
        std::io::Write::write_all(out, text.as_bytes())?;
        page.render_version_section(out)
    };
    render(&mut out).map_err(|e| miette::miette!("could not render the man page: {e}"))?;
    printer.out(&String::from_utf8_lossy(&out));
    Ok(ExitStatus::Success)
}

/// Text safe in a roff paragraph: backslashes and hyphens escaped, and no
/// line starting with a control character.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}
