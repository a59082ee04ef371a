//! `zeeg schema`: print or write the JSON Schemas.

use miette::{Context, IntoDiagnostic};

use crate::cli::SchemaArgs;
use crate::exit::ExitStatus;
use crate::manifest::{config_schema, people_schema, schema_text};
use crate::printer::Printer;

pub fn run(printer: &Printer, args: SchemaArgs) -> miette::Result<ExitStatus> {
    match args.out {
        None => printer.out(&schema_text(&people_schema())),
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .into_diagnostic()
                .wrap_err_with(|| format!("could not create the folder {}", dir.display()))?;
            for (name, schema) in [
                ("people.schema.json", people_schema()),
                ("config.schema.json", config_schema()),
            ] {
                let path = dir.join(name);
                std::fs::write(&path, schema_text(&schema))
                    .into_diagnostic()
                    .wrap_err_with(|| format!("could not write {}", path.display()))?;
                printer.status(&format!("wrote {}", path.display()));
            }
        }
    }
    Ok(ExitStatus::Success)
}
