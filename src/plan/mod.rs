//! Desired vs live: matching, field diffs, the [`Plan`] value and its renderers.
//!
//! Declared companies are planned first ([`companies`]): created, renamed
//! or unchanged by domain, and the live id of every company a person links
//! to is kept for apply.
//!
//! The flow is the same for every caller: match each [`Entry`] to at most one
//! live [`Person`] ([`matching`]), diff the managed fields ([`diff`]), and
//! collect the result into a [`Plan`], plain data that the renderers
//! ([`render`]) print and `apply` executes. [`saved`] writes a plan without
//! contact data and later tells which of its changes still hold.

pub mod attributes;
pub mod companies;
mod diff;
mod error;
pub mod live;
mod matching;
pub mod render;
pub mod safety;
pub mod saved;
pub mod sequence;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::{Company, Person};
use crate::manifest::{CompanyDeclaration, Entry, MatchValue, SourceLocation};
use crate::person::MatchingAttribute;

pub use attributes::{AttributeChange, AttributePlan};
pub use companies::{CompanyChange, CompanyPlan};
pub use error::{AttributeProblem, CompanyProblem, MatchProblem, OversizedEntry, PlanError};
pub use live::{LiveError, LiveState, ReadStrategy};
pub use render::{RenderOptions, render_json, render_markdown, render_text};
pub use saved::{PlanKey, SavedPlan, SavedPlanCheck, SavedPlanError, StaleChange, StaleReason};
pub use sequence::{Live, plan_against, read_for};

/// Everything `apply` would do, in manifest order, plus how many entries are
/// already up to date and what apply would refuse.
///
/// A plan borrows the entries and live people it was computed from: a change
/// points at both, and what it shows or sends is derived from them when
/// rendered or sent. A plan of a big file so costs a few words per change
/// rather than a second and third copy of every entry's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan<'a> {
    /// The declared attributes that would be created or changed, and the
    /// live ones left alone. Applied before everything else.
    pub attributes: AttributePlan,
    /// The declared companies that would be created or renamed, and the live
    /// ids of the companies people link to. Applied first.
    pub companies: CompanyPlan,
    /// The entries that would be created or updated, in manifest order.
    pub changes: Vec<Change<'a>>,
    /// How many entries already match their live person.
    pub unchanged: usize,
    /// What `apply` would refuse or skip, known before it runs. Every format
    /// shows these: the plan a reviewer approves is what apply does.
    pub warnings: Vec<Warning>,
    /// The settings it was planned with: the safety limit apply checks
    /// the updates it sends against.
    pub options: PlanOptions,
}

/// The project settings a plan depends on besides entries and live people.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanOptions {
    /// `apply.maxUpdatePercent` of zeeg.yaml: the safety limit.
    pub max_update_percent: f64,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            max_update_percent: safety::DEFAULT_MAX_UPDATE_PERCENT,
        }
    }
}

/// Something `apply` would refuse, said by the plan beforehand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable, for scripts: `safety_limit`.
    pub code: WarningCode,
    /// One sentence for people: what apply will do and how to change it.
    pub message: String,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// More updates than `apply.maxUpdatePercent` allows: apply needs `--force`.
    SafetyLimit,
    /// Options that live records hold would be removed (their values
    /// cleared): apply needs `--allow-destructive`.
    Destructive,
}

impl Plan<'_> {
    /// Whether applying the plan would change nothing.
    pub fn is_empty(&self) -> bool {
        let Plan {
            attributes,
            companies,
            changes,
            unchanged: _,
            warnings: _,
            options: _,
        } = self;
        changes.is_empty() && companies.changes.is_empty() && attributes.changes.is_empty()
    }

    /// How many changes create a person.
    pub fn creates(&self) -> usize {
        self.count(Action::Create)
    }

    /// How many changes update a person.
    pub fn updates(&self) -> usize {
        self.count(Action::Update)
    }

    /// How many entries the plan manages, changed or not: what the safety
    /// limit is a share of.
    pub fn managed(&self) -> usize {
        self.changes.len() + self.unchanged
    }

    /// Refuses `updates` of the managed entries when they are more than
    /// its options allow ([`safety::check`]), unless `force`: the plan warns
    /// with the updates it holds, apply refuses with those it sends.
    pub fn check_safety(
        &self,
        updates: usize,
        force: bool,
    ) -> Result<(), safety::SafetyLimitExceeded> {
        let limit = self.options.max_update_percent;
        safety::check(updates, self.managed(), limit, force)
    }

    fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }
}

/// What a change does to the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// No live person matches the entry: the upsert creates one.
    Create,
    /// One live person matches and some managed field differs.
    Update,
}

impl Action {
    /// The lower-case word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
        }
    }
}

/// One entry that would be created or updated: the entry and the live
/// person it matched (none for a create).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change<'a> {
    /// Create or update.
    pub action: Action,
    /// The entry, as loaded.
    pub entry: &'a Entry,
    /// The matched live person, as read when the plan was made; `None` for a
    /// create.
    pub live: Option<&'a Person>,
}

impl<'a> Change<'a> {
    /// Where the entry is written.
    pub fn source(&self) -> &'a SourceLocation {
        &self.entry.source
    }

    /// The attribute the upsert matches on, e.g. `email`, `phone_number`.
    pub fn matching_attribute(&self) -> &'a MatchingAttribute {
        &self.entry.matching_attribute
    }

    /// The entry's value for its matching attribute (its identity).
    pub fn match_value(&self) -> &'a MatchValue {
        &self.entry.match_value
    }

    /// The matched live person's id; `None` for a create.
    pub fn person_id(&self) -> Option<&'a str> {
        self.live.map(|person| person.id.as_str())
    }

    /// The matched live person's `updatedAt` when the plan was made; `None`
    /// for a create. A saved plan is stale once this moves.
    pub fn updated_at(&self) -> Option<&'a str> {
        self.live.map(|person| person.updated_at.as_str())
    }

    /// The domain of the company the entry links to (`company: DOMAIN`):
    /// apply puts that company's id into the body's `companyId`, from its
    /// own assert of the company or from the live read.
    pub fn company(&self) -> Option<&'a str> {
        self.entry.company.as_ref()?.domain.as_deref()
    }

    /// The fields that differ, in canonical field order. `companies` is the
    /// plan's own: a link by domain is compared by the company's id.
    pub fn fields(&self, companies: &CompanyPlan) -> Vec<FieldChange> {
        diff::field_changes(self.entry, self.live, companies)
    }

    /// The JSON body of the `PUT /crm/people?matchingAttribute=…` request:
    /// every managed field of the entry. Sending the unchanged ones too keeps
    /// the upsert idempotent and makes a retry converge.
    pub fn body(&self) -> Map<String, Value> {
        diff::request_body(self.entry, self.live)
    }

    /// [`Change::body`] as JSON text, as it is sent.
    pub fn body_json(&self) -> std::borrow::Cow<'a, str> {
        diff::request_body_json(self.entry, self.live)
    }
}

/// One field (or one key of `socials` / `customAttributes`) that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's JSON name, or `socials.<network>` / `customAttributes.<slug>`.
    pub path: String,
    /// The live value (`null` when unset or on create).
    pub before: Value,
    /// The desired value (`null` clears).
    pub after: Value,
}

/// Computes the plan for `entries` against the live people.
///
/// `live` must hold every live person that could match an entry: all of them,
/// or at least the results of searching each entry's identity (see [`live`]).
/// Fails, naming every problem, when an entry matches several live people or
/// several entries match one live person.
pub fn compute<'a>(
    entries: &'a [Entry],
    live: &'a [Person],
    options: &PlanOptions,
) -> Result<Plan<'a>, PlanError> {
    compute_with_companies(entries, &[], live, &[], options)
}

/// Computes the plan for `entries` and the `declared` companies against the
/// live people and companies (`live_companies` must hold at least every live
/// company whose domain is declared or referenced, see [`live`]).
pub fn compute_with_companies<'a>(
    entries: &'a [Entry],
    declared: &[CompanyDeclaration],
    live: &'a [Person],
    live_companies: &[Company],
    options: &PlanOptions,
) -> Result<Plan<'a>, PlanError> {
    let companies = companies::plan_companies(declared, entries, live_companies)
        .map_err(|problems| PlanError::Companies { problems })?;
    let matches = matching::match_all(entries, &companies, live);
    plan_people(entries, companies, &matches, |k| matches.kept()[k], options)
}

/// [`compute_with_companies`] from the live people as the plan read them
/// (see [`live::read_people`]), matched to these same `entries` as they
/// arrived against the same companies.
pub fn compute_from_live<'a>(
    entries: &'a [Entry],
    declared: &[CompanyDeclaration],
    live: &'a LiveState,
    live_companies: &[Company],
    options: &PlanOptions,
) -> Result<Plan<'a>, PlanError> {
    let companies = companies::plan_companies(declared, entries, live_companies)
        .map_err(|problems| PlanError::Companies { problems })?;
    let matches = &live.matches;
    plan_people(entries, companies, matches, |k| &matches.kept()[k], options)
}

/// The plan of `entries` from their `matches`, whose kept people
/// `kept_person` hands out, once the companies are planned: each entry a create, an
/// update or unchanged; refused when an upsert would be too large; warned
/// when over the safety limit.
fn plan_people<'a, P>(
    entries: &'a [Entry],
    companies: CompanyPlan,
    matches: &matching::Matches<P>,
    kept_person: impl Fn(usize) -> &'a Person,
    options: &PlanOptions,
) -> Result<Plan<'a>, PlanError> {
    let found = matches.resolve(entries)?;
    let mut plan = Plan {
        companies,
        options: *options,
        ..Plan::default()
    };
    for (entry, found) in entries.iter().zip(found) {
        let person = match found {
            matching::Found {
                person: Some(_),
                kept: None,
            } => {
                plan.unchanged += 1;
                continue;
            }
            matching::Found { kept, .. } => kept.map(|k| kept_person(k as usize)),
        };
        match diff::diff_entry(entry, person, &plan.companies) {
            Some(change) => plan.changes.push(change),
            None => plan.unchanged += 1,
        }
    }
    let oversized: Vec<OversizedEntry> = plan
        .changes
        .iter()
        .filter_map(|change| {
            let size = change.body_json().len();
            (size > crate::api::assumed::MAX_REQUEST_BYTES).then(|| OversizedEntry {
                at: change.source().clone(),
                size,
            })
        })
        .collect();
    if !oversized.is_empty() {
        return Err(PlanError::TooLarge {
            problems: oversized,
        });
    }
    if let Err(refusal) = plan.check_safety(plan.updates(), false) {
        plan.warnings.push(Warning {
            code: WarningCode::SafetyLimit,
            message: refusal.warning(),
        });
    }
    Ok(plan)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders for unit tests: entries and live people from JSON.

    use std::path::PathBuf;

    use serde_json::{Value, json};

    use crate::api::Person;
    use crate::manifest::{Entry, SourceLocation};
    use crate::person::MatchingAttribute;

    /// An entry at `people.yaml:line` matching on `slug`, with `fields`.
    pub fn entry(line: usize, slug: &str, fields: Value) -> Entry {
        let Value::Object(fields) = fields else {
            panic!("fields must be an object")
        };
        let matching_attribute = MatchingAttribute::new(slug);
        let match_value = matching_attribute
            .value_in(&fields)
            .cloned()
            .unwrap_or(Value::Null);
        Entry {
            source: SourceLocation {
                file: PathBuf::from("people.yaml").into(),
                line,
                column: 3,
            },
            matching_attribute,
            match_value: match_value.into(),
            // Each custom value on a line of its own below the entry.
            custom_value_at: fields
                .get("customAttributes")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|values| values.keys())
                .enumerate()
                .map(|(k, slug)| {
                    let at = SourceLocation {
                        file: PathBuf::from("people.yaml").into(),
                        line: line + 1 + k,
                        column: 7,
                    };
                    (slug.clone(), at)
                })
                .collect(),
            fields: fields.into(),
            project_path: PathBuf::from("people.yaml").into(),
            company: None,
        }
    }

    /// `items` for the rest of the test run: a plan built by a helper and
    /// returned borrows its entries and live people.
    pub fn leaked<T>(items: Vec<T>) -> &'static [T] {
        Vec::leak(items)
    }

    /// A live person with `id` and the given fields over empty defaults.
    pub fn person(id: &str, fields: Value) -> Person {
        let mut base = json!({
            "id": id,
            "createdAt": "2025-01-15T09:00:00+00:00",
            "updatedAt": "2025-01-15T09:00:00+00:00",
        });
        if let (Value::Object(base), Value::Object(fields)) = (&mut base, fields) {
            base.extend(fields);
        }
        serde_json::from_value(base).expect("a valid person")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::testing::{entry, person};
    use super::*;

    #[test]
    fn entries_become_creates_updates_and_unchanged() {
        let entries = [
            entry(
                1,
                "email",
                json!({"firstName": "Jane", "emails": ["jane@acme.com"]}),
            ),
            entry(
                5,
                "email",
                json!({"firstName": "Max", "emails": ["max@acme.com"]}),
            ),
            entry(
                9,
                "email",
                json!({"firstName": "Ann", "emails": ["ann@acme.com"]}),
            ),
        ];
        let live = [
            person(
                "p-max",
                json!({"firstName": "Maxi", "emails": ["max@acme.com"]}),
            ),
            person(
                "p-ann",
                json!({"firstName": "Ann", "emails": ["ann@acme.com"]}),
            ),
        ];
        let plan = compute(&entries, &live, &PlanOptions::default()).unwrap();
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.creates(), 1);
        assert_eq!(plan.updates(), 1);
        let update = &plan.changes[1];
        assert_eq!(update.person_id(), Some("p-max"));
        assert_eq!(update.source().line, 5);
        assert_eq!(update.body()["firstName"], json!("Max"));
    }

    #[test]
    fn a_plan_of_people_read_page_by_page_is_the_plan_of_all_of_them_at_once() {
        let entries = [
            entry(
                1,
                "email",
                json!({"firstName": "Ann", "emails": ["ann@acme.com"]}),
            ),
            entry(
                4,
                "email",
                json!({"firstName": "Bob", "emails": ["bob@acme.com"]}),
            ),
            entry(
                7,
                "phone_number",
                json!({"phoneNumber": "+49", "jobTitle": "CEO"}),
            ),
            entry(9, "email", json!({"emails": ["new@acme.com"]})),
        ];
        let ann = person(
            "p-ann",
            json!({"firstName": "Ann", "emails": ["ann@acme.com"]}),
        );
        let mut live = vec![ann.clone()];
        live.extend(
            (0..5).map(|i| person(&format!("p-{i}"), json!({"emails": [format!("{i}@x.io")]}))),
        );
        live.push(person(
            "p-max",
            json!({"phoneNumber": "+49", "jobTitle": "CTO"}),
        ));
        live.push(person(
            "p-bob",
            json!({"firstName": "Robert", "emails": ["bob@acme.com"]}),
        ));
        // Shown again on a later page, as a list read while someone writes
        // can show it.
        live.push(ann);
        let whole = compute(&entries, &live, &PlanOptions::default()).unwrap();

        let companies = std::sync::OnceLock::from(CompanyPlan::default());
        let mut attributes = AttributePlan::default();
        let mut collector = live::Collector::new(&entries, &companies, &mut attributes);
        for page in live.chunks(2) {
            collector.page(page.to_vec());
        }
        let state = collector.finish(live.len() as u64, ReadStrategy::List);
        assert_eq!(
            (state.read(), state.kept()),
            (8, 2),
            "each once; the two updated kept"
        );
        let paged = compute_from_live(&entries, &[], &state, &[], &PlanOptions::default()).unwrap();
        assert_eq!(paged, whole);
        assert_eq!(
            (paged.creates(), paged.updates(), paged.unchanged),
            (1, 2, 1)
        );
        let updated: Vec<_> = paged.changes.iter().filter_map(Change::person_id).collect();
        assert_eq!(updated, ["p-bob", "p-max"]);
    }
}
