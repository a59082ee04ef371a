//! `zeeg doctor`: probe the workspace, print one verdict per assumption.

use std::path::PathBuf;

use crate::api::Client;
use crate::cli::{DiagnosticFormat, DoctorArgs, GlobalArgs};
use crate::doctor::{self, DoctorError, Options, Report};
use crate::exit::ExitStatus;
use crate::printer::{Printer, Reply};
use crate::project::connect_for_folder;

/// The question before the write checks.
const QUESTION: &str = "Send these requests? [y/N] ";

pub async fn run(
    printer: &Printer,
    global: &GlobalArgs,
    args: DoctorArgs,
) -> miette::Result<ExitStatus> {
    let folder = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    // The same project, apiUrl and sandbox as `zeeg plan FOLDER` would use.
    let (_, connection) = connect_for_folder(printer, global, args.sandbox, &folder).await?;
    let report = diagnose(printer, &connection.client, &args).await;
    connection.close().await;
    let report = report?;
    printer.out(&match args.format {
        DiagnosticFormat::Text => doctor::render_text(&report, printer.color()),
        DiagnosticFormat::Json => doctor::render_json(&report),
    });
    Ok(if report.differs() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

async fn diagnose(printer: &Printer, client: &Client, args: &DoctorArgs) -> miette::Result<Report> {
    let options = Options {
        redact: !args.no_redact,
    };
    let findings = doctor::read_checks(client, options).await?;
    let write = if args.write {
        let plan = findings.write_plan();
        if let Ok(plan) = &plan {
            let must_ask = !args.auto_approve;
            if must_ask || !printer.quiet() {
                printer.stderr(&describe(client, plan));
            }
            if must_ask {
                approved(printer.ask(QUESTION).await)?;
            }
        }
        Some(plan)
    } else {
        None
    };
    Ok(doctor::finish(client, findings, write).await)
}

/// What `--write` will send, before it is sent.
fn describe(client: &Client, plan: &doctor::WritePlan) -> String {
    let requests = plan.describe();
    let mut text = format!(
        "zeeg doctor --write will send {} to {}. The re-asserts send what is \
         already there, so none changes data if the API behaves as zeeg assumes; if it \
         does not, one field of person {} may change, and doctor sends it back. The \
         last two leave one archived attribute in the workspace:\n",
        crate::plural::counted(requests.len(), "request", "requests"),
        client.base_url(),
        plan.person_id
    );
    for line in requests {
        text.push_str(&format!("  {line}\n"));
    }
    text
}

/// Whether the write checks may be sent.
fn approved(reply: std::io::Result<Reply>) -> Result<(), DoctorError> {
    match reply {
        Ok(Reply::Yes) => Ok(()),
        Ok(Reply::No) => Err(DoctorError::Declined),
        Ok(Reply::NoTerminal) => Err(DoctorError::NoTerminal),
        Err(source) => Err(DoctorError::Prompt { source }),
    }
}
