//! Declared custom attributes vs the live schemas: which to create, which
//! to change (label, required, archived, options), planned before companies
//! and people and applied first.
//!
//! A declaration is matched to the live attribute with its key. Live
//! attributes that no file declares are unmanaged: counted, never changed,
//! never deleted (no delete exists). What the API cannot do is an error
//! here, before anything is shown: a type change, a `unique` change, a
//! standard attribute declared, and a create whose key the server would not
//! derive as declared (a collision gives `tier_2`).

use serde_json::{Value, json};

use super::error::AttributeProblem;
use super::{Action, FieldChange};
use crate::api::object::{
    AttributeOption, AttributePatch, NewAttribute, ObjectSlug, OptionPatch, derive_key,
    derive_key_among,
};
use crate::api::{Attribute, ObjectSchema};
use crate::manifest::SourceLocation;
use crate::manifest::attributes::{AttributeDeclaration, DeclaredAttribute};

/// The attribute side of a plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributePlan {
    /// Whether the files declare attributes: only then do the outputs speak
    /// of attributes.
    pub involved: bool,
    /// The declared attributes to create or change, in manifest order.
    pub changes: Vec<AttributeChange>,
    /// How many declared attributes already match their live attribute.
    pub unchanged: usize,
    /// The live custom attributes (not archived) that no file declares,
    /// left alone: object and key, in the API's order.
    pub unmanaged: Vec<(ObjectSlug, String)>,
}

impl AttributePlan {
    /// How many changes create an attribute.
    pub fn creates(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.action() == Action::Create)
            .count()
    }

    /// How many changes change a live attribute.
    pub fn updates(&self) -> usize {
        self.changes.len() - self.creates()
    }

    /// The changes that remove an option live records hold: what apply
    /// refuses without `--allow-destructive`.
    pub fn destructive(&self) -> impl Iterator<Item = &AttributeChange> {
        self.changes.iter().filter(|c| c.is_destructive())
    }

    /// Whether the plan removes an option of `object`'s attributes: the
    /// live records must then all be read to count who holds it.
    pub fn removes_options_of(&self, object: ObjectSlug) -> bool {
        self.changes
            .iter()
            .any(|c| c.object == object && !c.removed_options().is_empty())
    }

    /// Adds to the count of every removed option the `records` (their
    /// custom values, of the change's object) that hold it: the records may
    /// come a page at a time.
    pub fn count_holders<'r>(
        &mut self,
        object: ObjectSlug,
        records: impl Iterator<Item = &'r serde_json::Map<String, Value>> + Clone,
    ) {
        for change in self.changes.iter_mut().filter(|c| c.object == object) {
            let key = change.key.clone();
            for option in change.options.iter_mut() {
                if let OptionChange::Removed { value, records: n } = option {
                    let held = records
                        .clone()
                        .filter(|values| holds(values.get(&key), value))
                        .count();
                    *n += held as u64;
                }
            }
        }
    }
}

/// Whether a record's value of an option attribute holds `option`: a
/// select's or status's value is the option, a multiselect's a list of them.
fn holds(value: Option<&Value>, option: &str) -> bool {
    match value {
        Some(Value::String(held)) => held == option,
        Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(option)),
        _ => false,
    }
}

/// One declared attribute to create or change.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeChange {
    /// `people` or `companies`.
    pub object: ObjectSlug,
    /// The key: declared, and for a create the one the server will derive.
    pub key: String,
    /// Where the attribute is declared.
    pub source: SourceLocation,
    /// What is sent.
    pub request: AttributeRequest,
    /// What differs besides options, before and after: `label`, `type`,
    /// `required`, `unique`, `archived` (on a create, what it is made with).
    pub fields: Vec<FieldChange>,
    /// The options added, removed or recoloured (on a create, every option).
    pub options: Vec<OptionChange>,
    /// The live attribute as read, for a saved plan to notice it moved;
    /// `None` for a create.
    pub live: Option<Attribute>,
}

/// The request an attribute change sends.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeRequest {
    /// `POST /crm/objects/{object}/attributes`.
    Create(NewAttribute),
    /// `PATCH /crm/objects/{object}/attributes/{key}`.
    Patch(AttributePatch),
}

/// One option of an attribute change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionChange {
    /// A new option.
    Added { value: String },
    /// A live option no longer declared: the API clears it on every record
    /// that holds it. `records`: how many of the records the plan read do.
    Removed { value: String, records: u64 },
    /// A live option declared in another case (`Gold` as `gold`): sent
    /// with its live id and the declared value, so its records keep it.
    Renamed { before: String, after: String },
    /// A kept option whose colour changes.
    Recolored {
        value: String,
        before: Option<String>,
        after: Option<String>,
    },
}

impl AttributeChange {
    /// Create or update.
    pub fn action(&self) -> Action {
        match self.request {
            AttributeRequest::Create(_) => Action::Create,
            AttributeRequest::Patch(_) => Action::Update,
        }
    }

    /// The options this change removes, with how many records hold each.
    pub fn removed_options(&self) -> Vec<(&str, u64)> {
        self.options
            .iter()
            .filter_map(|option| match option {
                OptionChange::Removed { value, records } => Some((value.as_str(), *records)),
                _ => None,
            })
            .collect()
    }

    /// Whether applying clears values that live records hold.
    pub fn is_destructive(&self) -> bool {
        self.removed_options().iter().any(|(_, n)| *n > 0)
    }

    /// How many live records lose a value.
    pub fn records_losing(&self) -> u64 {
        self.removed_options().iter().map(|(_, n)| n).sum()
    }
}

/// The live schemas an attribute plan compares declarations with.
#[derive(Debug, Clone, Copy)]
pub struct LiveSchemas<'a> {
    pub people: &'a ObjectSchema,
    /// Read only when the files declare attributes.
    pub companies: Option<&'a ObjectSchema>,
}

impl<'a> LiveSchemas<'a> {
    fn of(&self, object: ObjectSlug) -> &'a [Attribute] {
        match object {
            ObjectSlug::People => &self.people.attributes,
            ObjectSlug::Companies => self.companies.map_or(&[], |s| &s.attributes),
        }
    }
}

/// Plans `declared` against the live schemas. Every problem is reported,
/// not only the first. Records holding a removed option are counted later
/// ([`AttributePlan::count_holders`]), once the records are read.
pub fn plan_attributes(
    declared: &[DeclaredAttribute],
    live: LiveSchemas<'_>,
) -> Result<AttributePlan, Vec<AttributeProblem>> {
    let mut plan = AttributePlan {
        involved: !declared.is_empty(),
        ..AttributePlan::default()
    };
    if declared.is_empty() {
        return Ok(plan);
    }
    let mut problems = Vec::new();
    // Keys this plan's own creates will take, so a second create deriving
    // the same key is caught as the server would answer it.
    let mut creating: Vec<(ObjectSlug, String)> = Vec::new();
    for item in declared {
        let attributes = live.of(item.object);
        let found = attributes.iter().find(|a| a.key == item.declaration.key);
        let planned = match found {
            None => plan_create(item, attributes, &creating),
            Some(attribute) => plan_update(item, attribute),
        };
        match planned {
            Ok(Some(change)) => {
                if change.action() == Action::Create {
                    creating.push((change.object, change.key.clone()));
                }
                plan.changes.push(change);
            }
            Ok(None) => plan.unchanged += 1,
            Err(problem) => problems.push(*problem),
        }
    }
    for object in ObjectSlug::ALL {
        let keys = declared
            .iter()
            .filter(|d| d.object == object)
            .map(|d| d.declaration.key.as_str());
        let keys: Vec<&str> = keys.collect();
        plan.unmanaged.extend(
            live.of(object)
                .iter()
                .filter(|a| !a.is_standard && !a.is_archived && !keys.contains(&a.key.as_str()))
                .map(|a| (object, a.key.clone())),
        );
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

fn plan_create(
    item: &DeclaredAttribute,
    live: &[Attribute],
    creating: &[(ObjectSlug, String)],
) -> Result<Option<AttributeChange>, Box<AttributeProblem>> {
    let declaration = &item.declaration;
    let taken = |key: &str| {
        live.iter().any(|a| a.key == key)
            || creating.iter().any(|(o, k)| *o == item.object && k == key)
    };
    let derived = derive_key_among(&declaration.label, taken);
    if derived != declaration.key {
        return Err(Box::new(wrong_key(item, &derived, live, creating)));
    }
    let Some(new) = declaration.new_attribute() else {
        // An unknown type is refused when the files are read.
        return Err(Box::new(AttributeProblem::UnknownType {
            at: item.source.clone(),
            kind: declaration.kind.clone(),
        }));
    };
    let mut fields = vec![
        field("label", Value::Null, json!(new.label)),
        field("type", Value::Null, json!(new.kind.as_str())),
    ];
    for (path, on) in [
        ("required", new.is_required),
        ("unique", new.is_unique == Some(true)),
        ("archived", new.is_archived),
    ] {
        if on {
            fields.push(field(path, Value::Null, json!(true)));
        }
    }
    let options = new
        .options
        .iter()
        .map(|o| OptionChange::Added {
            value: o.value.clone(),
        })
        .collect();
    Ok(Some(AttributeChange {
        object: item.object,
        key: derived,
        source: item.source.clone(),
        request: AttributeRequest::Create(new),
        fields,
        options,
        live: None,
    }))
}

/// Why the server would not give a new attribute its declared key.
fn wrong_key(
    item: &DeclaredAttribute,
    derived: &str,
    live: &[Attribute],
    creating: &[(ObjectSlug, String)],
) -> AttributeProblem {
    let declaration = &item.declaration;
    let base = derive_key(&declaration.label);
    let holder = if derived == base {
        None
    } else if let Some(attribute) = live.iter().find(|a| a.key == base) {
        Some(if attribute.is_standard {
            "a standard attribute".to_string()
        } else if attribute.is_archived {
            format!("the archived attribute labelled {:?}", attribute.label)
        } else {
            format!("the attribute labelled {:?}", attribute.label)
        })
    } else if creating
        .iter()
        .any(|(o, k)| *o == item.object && *k == base)
    {
        Some("another attribute this plan creates".to_string())
    } else {
        None
    };
    let taken_by = holder.map(|holder| format!("`{base}` is taken by {holder}"));
    AttributeProblem::WrongKey {
        at: item.source.clone(),
        object: item.object,
        key: declaration.key.clone(),
        label: declaration.label.clone(),
        derived: derived.to_string(),
        taken_by,
    }
}

fn plan_update(
    item: &DeclaredAttribute,
    live: &Attribute,
) -> Result<Option<AttributeChange>, Box<AttributeProblem>> {
    check_changeable(item, live)?;
    let declaration = &item.declaration;
    let mut patch = AttributePatch::default();
    let mut fields = Vec::new();
    if live.label != declaration.label {
        fields.push(field("label", json!(live.label), json!(declaration.label)));
        patch.label = Some(declaration.label.clone());
    }
    if live.is_required != declaration.required {
        fields.push(field(
            "required",
            json!(live.is_required),
            json!(declaration.required),
        ));
        patch.is_required = Some(declaration.required);
    }
    if live.is_archived != declaration.archived {
        fields.push(field(
            "archived",
            json!(live.is_archived),
            json!(declaration.archived),
        ));
        patch.is_archived = Some(declaration.archived);
    }
    let (options, list) = option_changes(declaration, &live.options);
    if !options.is_empty() {
        patch.options = Some(list);
    }
    if patch.is_empty() {
        return Ok(None);
    }
    Ok(Some(AttributeChange {
        object: item.object,
        key: live.key.clone(),
        source: item.source.clone(),
        request: AttributeRequest::Patch(patch),
        fields,
        options,
        live: Some(live.clone()),
    }))
}

/// What no patch can change: a standard attribute, the type, uniqueness.
fn check_changeable(
    item: &DeclaredAttribute,
    live: &Attribute,
) -> Result<(), Box<AttributeProblem>> {
    let declaration = &item.declaration;
    let refuse = |what: &'static str, before: String, after: String| {
        Box::new(AttributeProblem::CannotChange {
            at: item.source.clone(),
            object: item.object,
            key: declaration.key.clone(),
            what,
            before,
            after,
        })
    };
    if live.is_standard {
        return Err(Box::new(AttributeProblem::Standard {
            at: item.source.clone(),
            object: item.object,
            key: declaration.key.clone(),
        }));
    }
    if live.kind != declaration.kind {
        return Err(refuse("type", live.kind.clone(), declaration.kind.clone()));
    }
    if live.is_unique != declaration.unique {
        return Err(refuse(
            "unique",
            live.is_unique.to_string(),
            declaration.unique.to_string(),
        ));
    }
    Ok(())
}

/// What the declared options change of the live ones, and the whole list a
/// patch sends: the declared options in their order, each kept one with its
/// live `id` (so its records keep it) and, when no colour is declared, its
/// live colour. Options are matched by value, exactly, else ignoring case
/// (a live option no other declared one names exactly): declared options
/// are unique ignoring case, so each live one is matched once at most.
fn option_changes(
    declaration: &AttributeDeclaration,
    live: &[AttributeOption],
) -> (Vec<OptionChange>, Vec<OptionPatch>) {
    let declared = declaration.option_values();
    let kept_of = |value: &str| {
        live.iter().find(|l| l.value == value).or_else(|| {
            live.iter().find(|l| {
                l.value.to_lowercase() == value.to_lowercase()
                    && !declared.contains(&l.value.as_str())
            })
        })
    };
    let mut changes = Vec::new();
    let mut list = Vec::new();
    let mut matched = Vec::new();
    for option in &declaration.options {
        let value = option.value();
        let kept = kept_of(value);
        let color = option
            .color()
            .map(str::to_string)
            .or_else(|| kept.and_then(|l| l.color.clone()));
        if let Some(kept) = kept {
            matched.push(kept.id.as_str());
            if kept.value != value {
                changes.push(OptionChange::Renamed {
                    before: kept.value.clone(),
                    after: value.to_string(),
                });
            }
        }
        match kept {
            None => changes.push(OptionChange::Added {
                value: value.to_string(),
            }),
            Some(kept) if kept.color != color => changes.push(OptionChange::Recolored {
                value: value.to_string(),
                before: kept.color.clone(),
                after: color.clone(),
            }),
            Some(_) => {}
        }
        list.push(OptionPatch {
            id: kept.map(|l| l.id.clone()),
            value: value.to_string(),
            color,
        });
    }
    changes.extend(
        live.iter()
            .filter(|l| !matched.contains(&l.id.as_str()))
            .map(|l| OptionChange::Removed {
                value: l.value.clone(),
                records: 0,
            }),
    );
    (changes, list)
}

fn field(path: &str, before: Value, after: Value) -> FieldChange {
    FieldChange {
        path: path.to_string(),
        before,
        after,
    }
}

/// The schema of `object` once the declarations are applied: the live
/// attributes, each declared one as declared. What people's custom values
/// are checked against, so a file may use an attribute it declares before
/// it exists, and no value of an option the plan removes.
pub fn effective_schema(
    live: &ObjectSchema,
    declared: &[DeclaredAttribute],
    object: ObjectSlug,
) -> ObjectSchema {
    let mut schema = live.clone();
    for item in declared.iter().filter(|d| d.object == object) {
        let Some(attribute) = item.declaration.as_attribute() else {
            continue;
        };
        match schema
            .attributes
            .iter_mut()
            .find(|a| a.key == attribute.key)
        {
            // A standard attribute declared is an error of its own.
            Some(live) if live.is_standard => {}
            Some(live) => *live = attribute,
            None => schema.attributes.push(attribute),
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    fn declared(object: ObjectSlug, line: usize, declaration: Value) -> DeclaredAttribute {
        DeclaredAttribute {
            object,
            declaration: serde_json::from_value(declaration).unwrap(),
            source: SourceLocation {
                file: PathBuf::from("zeeg.yaml").into(),
                line,
                column: 7,
            },
        }
    }

    fn schema(attributes: Value) -> ObjectSchema {
        serde_json::from_value(json!({"slug": "people", "attributes": attributes})).unwrap()
    }

    fn live_people() -> ObjectSchema {
        schema(json!([
            {"key": "email", "label": "Email", "type": "text", "isStandard": true},
            {"key": "tier", "label": "Tier", "type": "select", "options": [
                {"id": "o1", "value": "gold", "color": "yellow"},
                {"id": "o2", "value": "silver"},
                {"id": "o3", "value": "bronze"}]},
            {"key": "nickname", "label": "Nickname", "type": "text"},
            {"key": "old", "label": "Old", "type": "text", "isArchived": true},
        ]))
    }

    fn plan(declared: &[DeclaredAttribute]) -> Result<AttributePlan, Vec<AttributeProblem>> {
        let people = live_people();
        let companies = schema(json!([]));
        plan_attributes(
            declared,
            LiveSchemas {
                people: &people,
                companies: Some(&companies),
            },
        )
    }

    #[test]
    fn nothing_declared_plans_nothing_and_counts_nothing() {
        let plan = plan(&[]).unwrap();
        assert!(!plan.involved);
        assert!(plan.changes.is_empty() && plan.unmanaged.is_empty());
    }

    #[test]
    fn a_new_attribute_is_created_with_its_options_and_others_are_unmanaged() {
        let plan = plan(&[declared(
            ObjectSlug::People,
            3,
            json!({"key": "region", "label": "Region", "type": "select", "options": ["emea", {"value": "apac", "color": "blue"}]}),
        )])
        .unwrap();
        assert_eq!(plan.creates(), 1);
        let change = &plan.changes[0];
        let AttributeRequest::Create(new) = &change.request else {
            panic!("a create")
        };
        assert_eq!(new.options.len(), 2);
        assert_eq!(new.options[1].color.as_deref(), Some("blue"));
        assert_eq!(
            change.options,
            vec![
                OptionChange::Added {
                    value: "emea".into()
                },
                OptionChange::Added {
                    value: "apac".into()
                }
            ]
        );
        // Archived and standard attributes are not counted as unmanaged.
        assert_eq!(
            plan.unmanaged,
            vec![
                (ObjectSlug::People, "tier".to_string()),
                (ObjectSlug::People, "nickname".to_string())
            ]
        );
    }

    #[test]
    fn an_option_in_another_case_is_renamed_with_its_id_unless_declared_exactly() {
        let plan = plan(&[declared(
            ObjectSlug::People,
            3,
            json!({"key": "tier", "label": "Tier", "type": "select", "options": ["Gold", "SILVER", "silver"]}),
        )]);
        // Options unique ignoring case are validate's rule; here `silver` is
        // declared exactly, so `SILVER` is a new option, not a rename.
        let plan = plan.unwrap();
        let change = &plan.changes[0];
        assert_eq!(
            change.options,
            vec![
                OptionChange::Renamed {
                    before: "gold".into(),
                    after: "Gold".into()
                },
                OptionChange::Added {
                    value: "SILVER".into()
                },
                OptionChange::Removed {
                    value: "bronze".into(),
                    records: 0
                },
            ]
        );
        let AttributeRequest::Patch(patch) = &change.request else {
            panic!("a patch")
        };
        let list = patch.options.as_ref().unwrap();
        assert_eq!(list[0].id.as_deref(), Some("o1"));
        assert_eq!(list[0].value, "Gold");
        assert_eq!(list[1].id, None);
        assert_eq!(list[2].id.as_deref(), Some("o2"));
    }

    #[test]
    fn options_keep_their_ids_and_colours_and_removals_are_counted() {
        let mut plan = plan(&[declared(
            ObjectSlug::People,
            3,
            json!({"key": "tier", "label": "Customer tier", "type": "select", "options": ["gold", "silver", "platinum"]}),
        )])
        .unwrap();
        let change = &plan.changes[0];
        let AttributeRequest::Patch(patch) = &change.request else {
            panic!("a patch")
        };
        assert_eq!(patch.label.as_deref(), Some("Customer tier"));
        let list = patch.options.as_ref().unwrap();
        assert_eq!(list[0].id.as_deref(), Some("o1"));
        assert_eq!(list[0].color.as_deref(), Some("yellow"));
        assert_eq!(list[2].id, None);
        assert_eq!(list.len(), 3);
        assert!(!change.is_destructive(), "nobody counted yet");
        let records = [
            json!({"tier": "bronze"}),
            json!({"tier": "gold"}),
            json!({"tier": ["bronze", "gold"]}),
            json!({}),
        ];
        let maps: Vec<_> = records.iter().filter_map(Value::as_object).collect();
        plan.count_holders(ObjectSlug::People, maps.iter().copied());
        let change = &plan.changes[0];
        assert_eq!(change.removed_options(), vec![("bronze", 2)]);
        assert!(change.is_destructive());
        assert_eq!(plan.destructive().count(), 1);
        // The next page's records add to those of the first.
        plan.count_holders(ObjectSlug::People, maps[..1].iter().copied());
        assert_eq!(plan.changes[0].removed_options(), vec![("bronze", 3)]);
    }

    #[test]
    fn declaring_an_archived_attribute_restores_it() {
        let plan = plan(&[declared(
            ObjectSlug::People,
            3,
            json!({"key": "old", "label": "Old", "type": "text"}),
        )])
        .unwrap();
        let AttributeRequest::Patch(patch) = &plan.changes[0].request else {
            panic!("a patch")
        };
        assert_eq!(patch.is_archived, Some(false));
    }

    #[test]
    fn an_unchanged_declaration_is_counted() {
        let plan = plan(&[declared(
            ObjectSlug::People,
            3,
            json!({"key": "nickname", "label": "Nickname", "type": "text"}),
        )])
        .unwrap();
        assert_eq!((plan.changes.len(), plan.unchanged), (0, 1));
    }

    #[test]
    fn what_the_api_cannot_do_is_refused_each_at_its_place() {
        let problems = plan(&[
            declared(
                ObjectSlug::People,
                3,
                json!({"key": "nickname", "label": "Nickname", "type": "number"}),
            ),
            declared(
                ObjectSlug::People,
                6,
                json!({"key": "email", "label": "Email", "type": "text"}),
            ),
            declared(
                ObjectSlug::People,
                9,
                json!({"key": "tier", "label": "Tier", "type": "select", "unique": true, "options": ["gold", "silver", "bronze"]}),
            ),
        ])
        .unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.at().line).collect();
        assert_eq!(lines, vec![3, 6, 9]);
        assert!(matches!(
            &problems[0],
            AttributeProblem::CannotChange { what: "type", .. }
        ));
        assert!(matches!(&problems[1], AttributeProblem::Standard { .. }));
        assert!(matches!(
            &problems[2],
            AttributeProblem::CannotChange { what: "unique", .. }
        ));
    }

    #[test]
    fn a_key_the_server_would_not_derive_is_refused_naming_the_one_it_would() {
        let problems = plan(&[
            declared(
                ObjectSlug::People,
                3,
                json!({"key": "old_notes", "label": "Old", "type": "text"}),
            ),
            declared(
                ObjectSlug::People,
                6,
                json!({"key": "size", "label": "Team size", "type": "number"}),
            ),
            declared(
                ObjectSlug::People,
                9,
                json!({"key": "region", "label": "Region", "type": "text"}),
            ),
            declared(
                ObjectSlug::People,
                12,
                json!({"key": "region", "label": "Region", "type": "text"}),
            ),
            declared(
                ObjectSlug::People,
                15,
                json!({"key": "email_address", "label": "Email", "type": "text"}),
            ),
        ])
        .unwrap_err();
        let derived: Vec<(&str, Option<&str>)> = problems
            .iter()
            .map(|p| match p {
                AttributeProblem::WrongKey {
                    derived, taken_by, ..
                } => (derived.as_str(), taken_by.as_deref()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            derived,
            vec![
                (
                    "old_2",
                    Some("`old` is taken by the archived attribute labelled \"Old\"")
                ),
                ("team_size", None),
                (
                    "region_2",
                    Some("`region` is taken by another attribute this plan creates")
                ),
                ("email_2", Some("`email` is taken by a standard attribute")),
            ]
        );
    }

    #[test]
    fn the_effective_schema_holds_declared_attributes_as_declared() {
        let declared = [
            declared(
                ObjectSlug::People,
                3,
                json!({"key": "region", "label": "Region", "type": "select", "options": ["emea"]}),
            ),
            declared(
                ObjectSlug::People,
                6,
                json!({"key": "tier", "label": "Tier", "type": "select", "options": ["gold"]}),
            ),
        ];
        let schema = effective_schema(&live_people(), &declared, ObjectSlug::People);
        let find = |key: &str| schema.attributes.iter().find(|a| a.key == key).unwrap();
        assert_eq!(find("region").option_values(), vec!["emea"]);
        assert_eq!(find("tier").option_values(), vec!["gold"]);
        assert!(find("tier").check_value(&json!("bronze")).is_err());
        assert!(find("email").is_standard);
    }
}
