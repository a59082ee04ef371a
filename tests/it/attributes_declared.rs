//! Declared custom attributes (`attributes:`): loaded from zeeg.yaml and
//! people files with their places, refused where written when wrong, and
//! a key other than the label's only noted.

use zeeg::api::object::ObjectSlug;
use zeeg::manifest::load;

use crate::common::{project, run, zeeg};

fn validate(dir: &tempfile::TempDir, args: &[&str]) -> crate::common::Run {
    run(zeeg()
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .args(["--color", "never", "validate"])
        .args(args))
}

const CONFIG: &str = "\
attributes:
  companies:
    - {key: industry, label: Industry, type: text}
";

const ONLY_ATTRIBUTES: &str = "\
attributes:
  people:
    - key: tier
      label: Tier
      type: select
      options: [gold, {value: silver, color: grey}]
      required: true
    - {key: old_score, label: Old score, type: number, archived: true}
";

#[test]
fn declarations_load_from_zeeg_yaml_and_a_file_holding_only_attributes() {
    let dir = project(&[("zeeg.yaml", CONFIG), ("attributes.yaml", ONLY_ATTRIBUTES)]);
    let manifest = load(&[dir.path().to_path_buf()]).unwrap();
    let found: Vec<(ObjectSlug, &str, String)> = manifest
        .attributes
        .iter()
        .map(|a| {
            let at = format!("{}:{}", a.source.line, a.source.column);
            (a.object, a.declaration.key.as_str(), at)
        })
        .collect();
    assert_eq!(
        found,
        [
            (ObjectSlug::Companies, "industry", "3:7".to_string()),
            (ObjectSlug::People, "tier", "3:7".to_string()),
            (ObjectSlug::People, "old_score", "8:7".to_string()),
        ]
    );
    let tier = &manifest.attributes[1];
    assert!(tier.source.file.ends_with("attributes.yaml"));
    assert!(manifest.attributes[0].source.file.ends_with("zeeg.yaml"));
    assert_eq!(tier.declaration.option_values(), ["gold", "silver"]);
    assert!(tier.declaration.required && !tier.declaration.archived);
    assert!(manifest.attributes[2].declaration.archived);
    let out = validate(&dir, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "0 people and 3 attributes in 1 file: valid\n");
}

#[test]
fn one_object_and_key_declared_in_two_files_names_both_places() {
    let out = run(zeeg()
        .current_dir(crate::common::repo_root())
        .args(["--color", "never", "validate"])
        .arg("tests/fixtures/invalid-dirs/duplicate-attribute"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    // `tier` of companies is another attribute than `tier` of people.
    assert_eq!(out.stderr.matches("is declared twice").count(), 1);
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn a_key_other_than_the_labels_is_a_note_and_validate_passes() {
    let file = "\
attributes:
  people:
    - {key: tier, label: Customer tier, type: text}
    - {key: region_2, label: Region, type: text}
people:
  - firstName: Ann
    emails: [ann@example.com]
";
    let dir = project(&[("people.yaml", file)]);
    let out = validate(&dir, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // `region_2` is what the server gives `Region` when `region` is taken.
    assert_eq!(out.stderr.matches("note:").count(), 1, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr);
    let json = validate(&dir, &["--format", "json"]);
    assert_eq!((json.code, json.stdout.as_str()), (0, "[]\n"));
}

#[test]
fn a_wrong_declaration_in_zeeg_yaml_is_reported_there() {
    let config = "attributes:\n  people:\n    - {key: tier, label: Tier, type: currency}\n";
    let people = "people:\n  - firstName: Ann\n    emails: [ann@example.com]\n";
    let dir = project(&[("zeeg.yaml", config), ("people.yaml", people)]);
    let out = validate(&dir, &["--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let records: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(records[0]["file"], "zeeg.yaml");
    assert_eq!(
        (records[0]["line"].as_u64(), records[0]["column"].as_u64()),
        (Some(3), Some(38))
    );
    assert_eq!(records[0]["code"], "zeeg::attribute::kind");
}
