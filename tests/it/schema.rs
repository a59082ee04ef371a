//! `zeeg schema`: the checked-in schemas match the code and are valid
//! draft 2020-12 schemas.

use crate::common::{repo_root, run, zeeg};

fn checked_in(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("schema").join(name)).unwrap()
}

#[test]
fn schema_files_are_in_sync_with_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(zeeg().arg("schema").arg("--out").arg(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for name in ["people.schema.json", "config.schema.json"] {
        let generated = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(generated.ends_with("}\n"), "{name} ends with a newline");
        assert_eq!(
            generated,
            checked_in(name),
            "schema/{name} is stale: run `zeeg schema --out schema/`"
        );
    }
}

#[test]
fn schema_prints_the_people_schema() {
    let out = run(zeeg().arg("schema"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, checked_in("people.schema.json"));
}

#[test]
fn schemas_are_valid_draft_2020_12() {
    for name in ["people.schema.json", "config.schema.json"] {
        let schema: serde_json::Value = serde_json::from_str(&checked_in(name)).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        jsonschema::draft202012::meta::validate(&schema)
            .unwrap_or_else(|e| panic!("{name} is not a valid 2020-12 schema: {e}"));
    }
}

#[test]
fn a_broken_schema_fails_the_meta_schema_check() {
    let broken = serde_json::json!({"type": "objekt"});
    assert!(jsonschema::draft202012::meta::validate(&broken).is_err());
}
