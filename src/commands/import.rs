//! `zeeg import`: write the people already in the CRM as people files.

use std::path::Path;

use crate::api::object::ObjectSlug;
use crate::api::{Attribute, Person};
use crate::cli::{GlobalArgs, ImportArgs, SplitBy};
use crate::exit::ExitStatus;
use crate::import::{self, Beside, Import, LeftOut, SkipReason};
use crate::manifest;
use crate::plural::{agreeing, and_joined, counted};
use crate::printer::Printer;
use crate::project::connect_for_folder;

/// Below this many people an import is quick enough to need no progress bar.
const PROGRESS_FROM: usize = 2_000;

/// Checks the output folder, reads every person, lays them out in files and
/// writes those (all or nothing), then says what was left out and why.
pub async fn run(
    printer: &Printer,
    global: &GlobalArgs,
    args: ImportArgs,
) -> miette::Result<ExitStatus> {
    let ImportArgs {
        out,
        split_by,
        sandbox,
    } = args;
    // Refuse before any request: a full read of a large CRM is not free.
    import::check_out_dir(&out)?;
    let (people, attributes, company_attributes) =
        read_people(printer, global, sandbox, &out).await?;
    let (people, left_out) = import::leave_out_refused(people, &attributes);
    let schema_ref = import::schema_reference(&out);
    let mut import = render(printer, &people, split_by, &schema_ref)?;
    drop(people);
    // The attributes as declarations: a plan of the files then changes none.
    if let Some(file) = import::attributes_file(&attributes, &company_attributes, &schema_ref)? {
        import.files.push(file);
        import.files.sort_by(|a, b| a.name.cmp(&b.name));
    }
    // The modeline points beside the files when the repository has no schema.
    let schema = (schema_ref == import::SCHEMA_BESIDE)
        .then(|| manifest::schema_text(&manifest::people_schema()));
    let beside = schema.as_deref().map(|text| Beside {
        name: import::SCHEMA_BESIDE,
        text,
    });
    import::write_files(&out, &import, beside)?;

    for line in warnings(&import)
        .into_iter()
        .chain(left_out_warning(&left_out))
    {
        printer.status(&line);
    }
    printer.status(&summary(&import));
    Ok(ExitStatus::Success)
}

/// Every live person, read from the API the project of `out` uses (or its
/// sandbox), with a spinner on a terminal (the client reads pages
/// concurrently and does not report them one by one); and the people
/// object's attributes, which say what custom values a people file keeps,
/// and the companies object's.
async fn read_people(
    printer: &Printer,
    global: &GlobalArgs,
    sandbox: bool,
    out: &Path,
) -> miette::Result<(Vec<Person>, Vec<Attribute>, Vec<Attribute>)> {
    let (root, connection) = connect_for_folder(printer, global, sandbox, out).await?;
    if sandbox {
        printer.status(&format!(
            "Using the sandbox in {}",
            root.join(".zeeg").display()
        ));
    }
    let spinner = printer.spinner("Reading people from the CRM…");
    let read = futures::future::try_join3(
        connection.client.list_all(),
        connection.client.object_schema(),
        connection.client.object_schema_of(ObjectSlug::Companies),
    )
    .await;
    spinner.finish();
    connection.close().await;
    let (people, object, companies) = read?;
    Ok((people, object.attributes, companies.attributes))
}

/// Lays the people out in files, with a progress bar for a large CRM.
fn render(
    printer: &Printer,
    people: &[Person],
    split_by: SplitBy,
    schema_ref: &str,
) -> miette::Result<Import> {
    let split_by = match split_by {
        SplitBy::None => import::SplitBy::None,
        SplitBy::Company => import::SplitBy::Company,
        SplitBy::FileSize => import::SplitBy::FileSize,
    };
    let bar = (people.len() >= PROGRESS_FROM)
        .then(|| printer.progress_bar(people.len() as u64, "Writing {bar:40} {pos}/{len} people"));
    let import = import::render_with_progress(people, split_by, schema_ref, &mut |done| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
        }
    })?;
    Ok(import)
}

/// One line per reason people were left out, with their ids (never names or
/// contact data) and what to do about it.
fn warnings(import: &Import) -> Vec<String> {
    SkipReason::ALL
        .iter()
        .filter_map(|&reason| {
            let ids: Vec<&str> = import
                .skipped
                .iter()
                .filter(|s| s.reason == reason)
                .map(|s| s.id.as_str())
                .collect();
            (!ids.is_empty()).then(|| {
                format!(
                    "warning: not imported: {} {reason} ({}): {}",
                    counted(ids.len(), "person", "people"),
                    reason.advice(),
                    ids.join(", ")
                )
            })
        })
        .chain(refused_warning(import))
        .collect()
}

/// Names the people written with values zeeg refuses, and the fields, never
/// the values.
fn refused_warning(import: &Import) -> Option<String> {
    if import.refused.is_empty() {
        return None;
    }
    let listed: Vec<String> = import
        .refused
        .iter()
        .map(|r| format!("{} ({})", r.id, r.fields.join(", ")))
        .collect();
    Some(format!(
        "warning: {} {} values zeeg does not accept (an email without @, a URL without \
         https://, …); they are written as they are, and `zeeg plan` stops at them until they \
         are corrected in the files (`zeeg validate` shows where) or in the CRM: {}",
        counted(import.refused.len(), "person", "people"),
        agreeing(import.refused.len(), "holds", "hold"),
        listed.join(", ")
    ))
}

/// Names the people whose fields were left out, and the fields, never the
/// values.
fn left_out_warning(left_out: &[LeftOut]) -> Option<String> {
    if left_out.is_empty() {
        return None;
    }
    let listed: Vec<String> = left_out
        .iter()
        .map(|l| format!("{} ({})", l.id, l.fields.join(", ")))
        .collect();
    Some(format!(
        "warning: {} {} values a people file cannot keep as they are (a number beyond 2^53, \
         a date that does not exist, a social profile that is not a URL, a custom attribute \
         the workspace lacks, …); those fields are left out, so zeeg does not manage them: {}",
        counted(left_out.len(), "person", "people"),
        agreeing(left_out.len(), "holds", "hold"),
        listed.join(", ")
    ))
}

/// `Imported N people (C companies and A attributes) into M files; skipped
/// K without email or phone.`
fn summary(import: &Import) -> String {
    let files = import.files.len();
    let mut what = vec![counted(import.people(), "person", "people")];
    for (count, one, many) in [
        (import.companies(), "company", "companies"),
        (import.attributes(), "attribute", "attributes"),
    ] {
        if count > 0 {
            what.push(counted(count, one, many));
        }
    }
    let mut line = format!(
        "Imported {} into {}",
        and_joined(&what),
        counted(files, "file", "files")
    );
    let mut reasons: Vec<(SkipReason, usize)> = Vec::new();
    for skipped in &import.skipped {
        match reasons.iter_mut().find(|(r, _)| *r == skipped.reason) {
            Some((_, count)) => *count += 1,
            None => reasons.push((skipped.reason, 1)),
        }
    }
    reasons.sort();
    for (index, (reason, count)) in reasons.iter().enumerate() {
        line.push_str(if index == 0 { "; skipped " } else { ", " });
        line.push_str(&format!("{count} {reason}"));
    }
    line.push('.');
    line
}
