//! `--format json`: the stable, documented machine-readable plan.
//!
//! ```json
//! {"formatVersion": 1,
//!  "summary": {"create": 1, "update": 2, "unchanged": 3},
//!  "warnings": [{"code": "safety_limit", "message": "apply will refuse this plan: …"}],
//!  "changes": [{"action": "update", "source": {"file": "people/acme.yaml", "line": 12},
//!               "matchingAttribute": "email", "matchValue": "jane@acme.com",
//!               "personId": "3c90…",
//!               "fields": [{"path": "jobTitle", "before": "CTO", "after": null}]}]}
//! ```
//!
//! The shape changes only with `formatVersion`. Under redaction the values
//! are masked as in every other format.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::RenderOptions;
use crate::api::object::ObjectSlug;
use crate::manifest::SourceLocation;
use crate::plan::attributes::OptionChange;
use crate::plan::{
    AttributePlan, Change, CompanyChange, CompanyPlan, FieldChange, Plan, Warning, WarningCode,
};
use crate::redact;

/// The version of the JSON plan format.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPlan<'a> {
    format_version: u32,
    summary: Summary,
    /// Always present (empty when there is nothing to say), so a script can
    /// read `.warnings` without a default.
    warnings: Vec<JsonWarning>,
    /// Only when the files declare attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<JsonAttributes>,
    /// Only when the files declare or reference companies: a plan without
    /// them reads exactly as before.
    #[serde(skip_serializing_if = "Option::is_none")]
    companies: Option<JsonCompanies>,
    changes: Changes<'a>,
}

/// The people changes, each put in its JSON shape (its fields derived) only
/// as it is written: a plan of a big file is never held as JSON values.
struct Changes<'a> {
    changes: &'a [Change<'a>],
    companies: &'a CompanyPlan,
    redacted: bool,
}

impl Serialize for Changes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.changes
                .iter()
                .map(|change| json_change(change, self.companies, self.redacted)),
        )
    }
}

#[derive(Serialize)]
struct JsonCompanies {
    summary: Summary,
    changes: Vec<JsonCompanyChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonCompanyChange {
    action: &'static str,
    source: Source,
    domain: String,
    company_id: Option<String>,
    fields: Vec<JsonField>,
}

#[derive(Serialize)]
struct JsonAttributes {
    summary: Summary,
    /// The live custom attributes no file declares, left alone.
    unmanaged: Vec<JsonAttributeKey>,
    changes: Vec<JsonAttributeChange>,
}

#[derive(Serialize)]
struct JsonAttributeKey {
    object: ObjectSlug,
    key: String,
}

#[derive(Serialize)]
struct JsonAttributeChange {
    action: &'static str,
    source: Source,
    object: ObjectSlug,
    key: String,
    fields: Vec<JsonField>,
    options: Vec<JsonOption>,
    /// Whether it clears values live records hold (apply needs
    /// `--allow-destructive`).
    destructive: bool,
}

/// `{"change": "add"|"remove"|"rename"|"recolor", "value", …}`.
#[derive(Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
enum JsonOption {
    Add {
        value: String,
    },
    Remove {
        value: String,
        /// How many of the live records read hold it.
        records: u64,
    },
    /// `before` and `after` are the values: the option keeps its id.
    Rename {
        before: String,
        after: String,
    },
    Recolor {
        value: String,
        before: Option<String>,
        after: Option<String>,
    },
}

#[derive(Serialize)]
struct JsonWarning {
    code: WarningCode,
    message: String,
}

#[derive(Serialize)]
struct Summary {
    create: usize,
    update: usize,
    unchanged: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonChange<'a> {
    action: &'static str,
    source: Source,
    matching_attribute: &'a str,
    match_value: Value,
    person_id: Option<&'a str>,
    fields: Vec<JsonField>,
}

#[derive(Serialize)]
struct Source {
    file: String,
    line: usize,
}

#[derive(Serialize)]
struct JsonField {
    path: String,
    before: Value,
    after: Value,
}

/// Renders the plan as pretty-printed JSON with a trailing newline.
pub fn render_json(plan: &Plan<'_>, options: &RenderOptions) -> String {
    super::in_memory(|out| write_json(out, plan, options))
}

/// Writes the plan as [`render_json`] renders it, one document written
/// change by change: a plan of a big file is never held as one text.
pub fn write_json(out: &mut dyn Write, plan: &Plan<'_>, options: &RenderOptions) -> io::Result<()> {
    let Plan {
        attributes,
        companies,
        changes,
        unchanged,
        warnings,
        options: _,
    } = plan;
    let document = JsonPlan {
        format_version: FORMAT_VERSION,
        summary: Summary {
            create: plan.creates(),
            update: plan.updates(),
            unchanged: *unchanged,
        },
        warnings: warnings
            .iter()
            .map(|Warning { code, message }| JsonWarning {
                code: *code,
                message: message.clone(),
            })
            .collect(),
        attributes: attributes.involved.then(|| json_attributes(attributes)),
        companies: companies.involved.then(|| json_companies(companies)),
        changes: Changes {
            changes,
            companies,
            redacted: options.redact,
        },
    };
    // A plan is plain JSON data: the only error is the writer's.
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::from)?;
    writeln!(out)
}

// Attribute labels, keys and options are the workspace's schema, not
// contact data: never masked.
fn json_attributes(attributes: &AttributePlan) -> JsonAttributes {
    let changes = attributes.changes.iter().map(|change| JsonAttributeChange {
        action: change.action().as_str(),
        source: json_source(&change.source),
        object: change.object,
        key: change.key.clone(),
        fields: change
            .fields
            .iter()
            .map(|f| json_field(f, &|_, v| v.clone()))
            .collect(),
        options: change
            .options
            .iter()
            .map(|option| match option.clone() {
                OptionChange::Added { value } => JsonOption::Add { value },
                OptionChange::Removed { value, records } => JsonOption::Remove { value, records },
                OptionChange::Renamed { before, after } => JsonOption::Rename { before, after },
                OptionChange::Recolored {
                    value,
                    before,
                    after,
                } => JsonOption::Recolor {
                    value,
                    before,
                    after,
                },
            })
            .collect(),
        destructive: change.is_destructive(),
    });
    JsonAttributes {
        summary: Summary {
            create: attributes.creates(),
            update: attributes.updates(),
            unchanged: attributes.unchanged,
        },
        unmanaged: attributes
            .unmanaged
            .iter()
            .map(|(object, key)| JsonAttributeKey {
                object: *object,
                key: key.clone(),
            })
            .collect(),
        changes: changes.collect(),
    }
}

fn json_companies(companies: &CompanyPlan) -> JsonCompanies {
    let changes = companies.changes.iter().map(|change| {
        let CompanyChange {
            action,
            source,
            domain,
            company_id,
            updated_at: _,
            fields,
            name: _,
        } = change;
        JsonCompanyChange {
            action: action.as_str(),
            source: json_source(source),
            domain: domain.clone(),
            company_id: company_id.clone(),
            // Company names and domains are not contact data: never masked.
            fields: fields
                .iter()
                .map(|f| json_field(f, &|_, v| v.clone()))
                .collect(),
        }
    });
    JsonCompanies {
        summary: Summary {
            create: companies.creates(),
            update: companies.updates(),
            unchanged: companies.unchanged,
        },
        changes: changes.collect(),
    }
}

fn json_source(source: &SourceLocation) -> Source {
    Source {
        file: source.file.to_string_lossy().into_owned(),
        line: source.line,
    }
}

fn json_field(field: &FieldChange, mask: &dyn Fn(&str, &Value) -> Value) -> JsonField {
    let FieldChange {
        path,
        before,
        after,
    } = field;
    JsonField {
        path: path.clone(),
        before: mask(path, before),
        after: mask(path, after),
    }
}

fn json_change<'a>(change: &Change<'a>, companies: &CompanyPlan, redacted: bool) -> JsonChange<'a> {
    let mask = |path: &str, value: &Value| {
        if redacted {
            redact::value(path, value)
        } else {
            value.clone()
        }
    };
    let (matching_attribute, match_value) = (change.matching_attribute(), change.match_value());
    JsonChange {
        action: change.action.as_str(),
        source: json_source(change.source()),
        matching_attribute: matching_attribute.slug(),
        match_value: if redacted {
            redact::identity(matching_attribute, &match_value.to_value())
        } else {
            match_value.to_value()
        },
        person_id: change.person_id(),
        fields: change
            .fields(companies)
            .iter()
            .map(|f| json_field(f, &mask))
            .collect(),
    }
}
