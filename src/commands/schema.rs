//! `zeeg schema`: print or write the JSON Schemas.

use miette::{Context, IntoDiagnostic};

use crate::cli::SchemaArgs;
use crate::commands::Printer;
use crate::exit::ExitStatus;
use crate::manifest::{config_schema, people_schema};

pub fn run(printer: &Printer, args: SchemaArgs) -> miette::Result<ExitStatus> {
    match args.out {
        None => printer.out(&pretty(&people_schema())),
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .into_diagnostic()
                .wrap_err_with(|| format!("could not create the folder {}", dir.display()))?;
            for (name, schema) in [
                ("people.schema.json", people_schema()),
                ("config.schema.json", config_schema()),
            ] {
                let path = dir.join(name);
                std::fs::write(&path, pretty(&schema))
                    .into_diagnostic()
                    .wrap_err_with(|| format!("could not write {}", path.display()))?;
                printer.status(&format!("wrote {}", path.display()));
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// Pretty JSON with a trailing newline, as the checked-in files are.
pub fn pretty(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
