//! `zeeg import`: writing the people of a (sandbox) CRM as people files that
//! plan back to no changes.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::common::{self, Sandbox};

/// Strings YAML would read as something else if written plainly.
const AMBIGUOUS: &[&str] = &[
    "yes",
    "no",
    "null",
    "~",
    "true",
    "False",
    "123",
    "1.5",
    "-1",
    "0x1F",
    "1e3",
    "- x",
    "a: b",
    "# x",
    "x #y",
    "&anchor",
    "*alias",
    "!tag",
    "|pipe",
    ">fold",
    "'quote",
    "\"dq",
    "%pct",
    "@handle",
    "`tick",
    " padded",
    "padded ",
    "",
    "[list",
    "{map",
    "? q",
    "2025-01-01",
    "on",
];

const NAMES: &[&str] = &[
    "Jane",
    "Zoë",
    "田中",
    "Łukasz",
    "Siobhán",
    "José",
    "Ünal",
    "Müller-Lüdenscheidt",
    "O'Connor",
    "Nadia",
    "Кирилл",
    "أحمد",
    "😀 Smile",
    "Ana María",
];

/// Multi-line text in every shape that needs care: each chomping indicator,
/// blank lines, things that look like YAML, white space a block would hide.
const DESCRIPTIONS: &[&str] = &[
    "line one\nline two",
    "line one\nline two\n",
    "line one\nline two\n\n\n",
    "a: b\n# not a comment\n- not a list\n",
    "  indented first line\nsecond",
    "trailing space \nnext",
    "\n\nstarts with blank lines",
    "tab\tinside\nand\ttabs\n",
    "Ünïcödé\n名前\n",
    "single line description",
    "\n",
];

const COMPANIES: &[&str] = &[
    "5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45",
    "0b7e2c9d-3f1a-4d5e-8b6c-7a9e1f2d3c4b",
];

/// The seed's `companies`: those of [`COMPANIES`], which seed people link to.
fn seed_companies() -> Value {
    json!([
        {"id": COMPANIES[0], "name": "Acme", "domain": "acme.example"},
        {"id": COMPANIES[1], "name": "Initech", "domain": "initech.example"},
    ])
}

/// What the sandbox is seeded with, and what the test expects of it.
struct Seed {
    people: Vec<Value>,
    /// Indexes of the people with neither email nor phone.
    unmatchable: Vec<usize>,
}

/// `count` people, varied deterministically by index.
fn seed(count: usize) -> Seed {
    let pick = |list: &[&'static str], i: usize| list[i % list.len()];
    let mut people = Vec::with_capacity(count);
    let mut unmatchable = Vec::new();
    for i in 0..count {
        let mut person = Map::new();
        person.insert("firstName".into(), json!(format!("{} {i}", pick(NAMES, i))));
        if i % 4 != 0 {
            person.insert("lastName".into(), json!(pick(AMBIGUOUS, i)));
        }
        if i % 5 == 0 {
            person.insert(
                "salutation".into(),
                json!(pick(&["Dr", "Ms", "null", "yes"], i)),
            );
        }
        let neither = i % 50 == 7;
        let phone_only = !neither && i % 10 == 3;
        if neither {
            unmatchable.push(i);
        } else if !phone_only {
            let mut emails = vec![format!("person.{i}@example{}.com", i % 3)];
            if i % 3 == 0 {
                emails.push(format!("p{i}@alt.example"));
            }
            if i % 9 == 0 {
                emails.push(format!("Third.{i}@Example.org"));
            }
            person.insert("emails".into(), json!(emails));
        }
        if phone_only || i % 2 == 0 && !neither {
            let phone = if i % 4 == 0 {
                format!("+49 30 {i:07}")
            } else {
                format!("0049{i:08}")
            };
            person.insert("phoneNumber".into(), json!(phone));
        }
        if i % 3 == 1 {
            person.insert("jobTitle".into(), json!(pick(AMBIGUOUS, i / 3)));
        }
        if i % 2 == 1 {
            person.insert("description".into(), json!(pick(DESCRIPTIONS, i / 2)));
        }
        if i % 7 == 0 {
            person.insert("primaryLocation".into(), json!("Berlin, Germany"));
        }
        if i % 11 == 0 {
            person.insert(
                "avatarUrl".into(),
                json!(format!("https://avatars.example/{i}.png")),
            );
        }
        if i % 3 == 2 {
            person.insert("companyId".into(), json!(pick(COMPANIES, i)));
        }
        if i % 4 == 1 {
            let mut socials = Map::new();
            socials.insert(
                "linkedin".into(),
                json!(format!("https://www.linkedin.com/in/p{i}")),
            );
            if i % 8 == 1 {
                socials.insert("twitter".into(), json!(format!("https://twitter.com/p{i}")));
            }
            person.insert("socials".into(), Value::Object(socials));
        }
        let mut custom = Map::new();
        if i % 2 == 0 {
            custom.insert(
                "customer_tier".into(),
                json!(pick(&["gold", "yes", "null", "123"], i)),
            );
        }
        if i % 3 == 0 {
            custom.insert(
                "seats".into(),
                if i % 2 == 0 {
                    json!(i)
                } else {
                    json!(i as f64 + 0.5)
                },
            );
        }
        if i % 5 == 1 {
            custom.insert("newsletter".into(), json!(i % 2 == 0));
        }
        if i % 6 == 2 {
            custom.insert("products".into(), json!(["crm", "yes", "- x"]));
        }
        if i % 13 == 0 {
            custom.insert("notes".into(), json!(pick(AMBIGUOUS, i)));
        }
        if !custom.is_empty() {
            person.insert("customAttributes".into(), Value::Object(custom));
        }
        people.push(Value::Object(person));
    }
    Seed {
        people,
        unmatchable,
    }
}

/// Starts a sandbox seeded with `seed` (plus the `notes` attribute declared on
/// the command line, as the seed's own declarations cover the rest).
fn sandbox_with(dir: &Path, seed: &Seed, extra: &[&str]) -> Sandbox {
    sandbox_with_companies(dir, seed, seed_companies(), extra)
}

/// [`sandbox_with`], the seed holding `companies` (in the API's shape).
fn sandbox_with_companies(dir: &Path, seed: &Seed, companies: Value, extra: &[&str]) -> Sandbox {
    let file = dir.join("seed.json");
    let document = json!({
        "customAttributes": {
            "customer_tier": "select=gold|yes|null|123",
            "seats": "number",
            "newsletter": "checkbox",
            "products": "multiselect=crm|yes|- x",
        },
        "companies": companies,
        "people": seed.people,
    });
    std::fs::write(&file, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    let file = file.to_string_lossy().into_owned();
    let mut args = vec!["--seed", file.as_str(), "--custom-attribute", "notes:text"];
    args.extend_from_slice(extra);
    Sandbox::start(&args)
}

/// The YAML files of a folder, by name, as text.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".yaml") {
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    files
}

/// The entries of the written files, as JSON, read back with serde-saphyr.
fn entries(dir: &Path) -> Vec<Value> {
    let mut entries = Vec::new();
    for text in files(dir).values() {
        let document: Value = serde_saphyr::from_str(text).unwrap();
        let defaults = &document["defaults"];
        let Some(people) = document["people"].as_array() else {
            continue;
        };
        for entry in people {
            let mut entry = entry.clone();
            for key in ["matchingAttribute", "company"] {
                if entry.get(key).is_none() && defaults.get(key).is_some() {
                    entry[key] = defaults[key].clone();
                }
            }
            entries.push(entry);
        }
    }
    entries
}

/// The fields an entry for `person` (seed shape) must hold: everything with a
/// value, nothing else.
fn expected_entry(person: &Value) -> Value {
    let mut expected = person.as_object().unwrap().clone();
    let matching = if person.get("emails").is_some() {
        "email"
    } else {
        "phone_number"
    };
    expected.insert("matchingAttribute".into(), json!(matching));
    // Every seed company has a domain: entries name it instead of the id.
    if let Some(id) = expected.remove("companyId") {
        expected.insert("company".into(), json!(domain_of(id.as_str().unwrap())));
    }
    Value::Object(expected)
}

/// The domain of one of [`seed_companies`], by id.
fn domain_of(id: &str) -> String {
    let companies = seed_companies();
    let company = companies.as_array().unwrap().iter().find(|c| c["id"] == id);
    company.unwrap()["domain"].as_str().unwrap().to_string()
}

#[test]
fn a_thousand_varied_people_import_to_files_that_read_back_as_the_crm() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = seed(1000);
    let sandbox = sandbox_with(tmp.path(), &seed, &[]);
    let out = tmp.path().join("people");

    let run = common::run(sandbox.zeeg().args(["import", "--out"]).arg(&out));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    let imported = seed.people.len() - seed.unmatchable.len();
    let skipped = seed.unmatchable.len();
    assert!(
        run.stderr.contains(&format!(
            "Imported {imported} people, 2 companies and 5 attributes into 2 files; skipped \
             {skipped} without email or phone"
        )),
        "{}",
        run.stderr
    );
    // The skipped people are named by id only: none of their names shows.
    for &i in &seed.unmatchable {
        let name = seed.people[i]["firstName"].as_str().unwrap();
        assert!(
            !run.stderr.contains(name) && !run.stdout.contains(name),
            "{name} printed"
        );
    }

    // The manifest loader accepts every file as it is.
    let validate = common::run(common::zeeg().arg("validate").arg(&out));
    assert_eq!(validate.code, 0, "{}{}", validate.stdout, validate.stderr);
    assert!(
        format!("{}{}", validate.stdout, validate.stderr).contains(&format!(
            "{imported} people, 2 companies and 5 attributes in 2 files: valid"
        )),
        "{}{}",
        validate.stdout,
        validate.stderr
    );

    // And the point of it all: planning the imported files changes nothing.
    let plan = common::run(sandbox.zeeg().arg("plan").arg(&out));
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "No changes. 5 attributes, 2 companies and {imported} people up to date."
        )),
        "{}{}",
        plan.stdout,
        plan.stderr
    );

    // Every importable person is there exactly once, with exactly its fields.
    let mut written: BTreeMap<String, Value> = BTreeMap::new();
    for entry in entries(&out) {
        let key = entry["firstName"].as_str().unwrap().to_string();
        assert!(
            written.insert(key, entry).is_none(),
            "a person written twice"
        );
    }
    assert_eq!(written.len(), imported);
    for (i, person) in seed.people.iter().enumerate() {
        let name = person["firstName"].as_str().unwrap();
        match written.get(name) {
            Some(entry) => assert_eq!(entry, &expected_entry(person), "person {i}"),
            None => assert!(seed.unmatchable.contains(&i), "person {i} missing"),
        }
    }
}

#[test]
fn importing_the_same_crm_twice_writes_the_same_bytes_and_splits_as_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = seed(1000);
    let sandbox = sandbox_with(tmp.path(), &seed, &[]);
    let import = |name: &str, split: &str| {
        let out = tmp.path().join(name);
        let run = common::run(
            sandbox
                .zeeg()
                .args(["import", "--split-by", split, "--out"])
                .arg(&out),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        files(&out)
    };

    let first = import("a", "none");
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        ["attributes.yaml", "people.yaml"]
    );
    assert_eq!(import("b", "none"), first);

    let by_size = import("c", "file-size");
    assert_eq!(
        by_size.keys().collect::<Vec<_>>(),
        [
            "attributes.yaml",
            "companies.yaml",
            "people-001.yaml",
            "people-002.yaml"
        ]
    );
    let by_company = import("d", "company");
    assert_eq!(
        by_company.keys().collect::<Vec<_>>(),
        [
            "acme.example.yaml",
            "attributes.yaml",
            "initech.example.yaml",
            "no-company.yaml"
        ]
    );
    // Each company's file declares it and names it for all its people.
    let acme: Value = serde_saphyr::from_str(&by_company["acme.example.yaml"]).unwrap();
    assert_eq!(
        acme["companies"],
        json!([{"domain": "acme.example", "name": "Acme"}])
    );
    assert_eq!(acme["defaults"]["company"], "acme.example");
    let companies: Value = serde_saphyr::from_str(&by_size["companies.yaml"]).unwrap();
    assert_eq!(companies["companies"].as_array().unwrap().len(), 2);
    for dir in ["c", "d"] {
        assert_eq!(
            entries(&tmp.path().join(dir)).len(),
            entries(&tmp.path().join("a")).len()
        );
        // Every layout plans back to no change.
        let plan = common::run(sandbox.zeeg().arg("plan").arg(tmp.path().join(dir)));
        assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
        assert!(
            plan.stdout.contains("No changes."),
            "{dir}: {}",
            plan.stdout
        );
    }
}

/// `zeeg import ARGS` run in `dir`, against `sandbox`: paths in its
/// messages are then relative to `dir`.
fn import_in(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> std::process::Command {
    let mut command = sandbox.zeeg();
    command.current_dir(dir).arg("import").args(args);
    command
}

#[test]
fn a_folder_that_already_holds_yaml_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox_with(tmp.path(), &seed(3), &[]);
    let out = tmp.path().join("people");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("team.yaml"), "people: []\n").unwrap();

    crate::zeeg_snapshot!(
        "out-already-holds-yaml",
        &mut import_in(&sandbox, tmp.path(), &["--out", "people"])
    );
    assert_eq!(files(&out).len(), 1);
    assert_eq!(
        std::fs::read_to_string(out.join("team.yaml")).unwrap(),
        "people: []\n"
    );
}

#[test]
fn a_small_import_in_canonical_form() {
    let tmp = tempfile::tempdir().unwrap();
    let people = json!([
        {
            "firstName": "Jane", "lastName": "Doe", "salutation": "Dr",
            "emails": ["jane.doe@acme.example", "jane@acme.example"],
            "jobTitle": "Head of Product",
            "description": "Leads product.\nLikes: YAML\n# and comments\n",
            "phoneNumber": "+4930123456789", "primaryLocation": "Berlin, Germany",
            "avatarUrl": "https://avatars.acme.example/jane.png",
            "companyId": COMPANIES[0],
            "socials": {"linkedin": "https://www.linkedin.com/in/janedoe", "twitter": null},
            "customAttributes": {"customer_tier": "gold", "seats": 120, "products": ["crm", "yes"]}
        },
        {"firstName": "yes", "lastName": "null", "emails": ["Yes.Null@acme.example"],
         "jobTitle": "- x", "description": "trailing space \nkept exactly\n\n"},
        {"firstName": "田中", "lastName": "愛子", "phoneNumber": "0049301234",
         "customAttributes": {"newsletter": false}},
        {"firstName": "Max", "emails": ["max@acme.example"], "jobTitle": "a: b",
         "primaryLocation": "# x", "description": "one line"},
        {"firstName": "Nobody", "lastName": "Reachable", "jobTitle": "Ghost"}
    ]);
    let seed = Seed {
        people: people.as_array().unwrap().clone(),
        unmatchable: vec![4],
    };
    let sandbox = sandbox_with(tmp.path(), &seed, &[]);
    let out = tmp.path().join("people");
    let run = common::run(sandbox.zeeg().args(["import", "--out"]).arg(&out));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = &files(&out)["people.yaml"];
    insta::assert_snapshot!("small_import_people_yaml", text);
    // Outside a repository with a checked-in schema, the modeline points at a
    // copy written beside the files.
    assert!(text.starts_with("# yaml-language-server: $schema=people.schema.json\n"));
    let beside: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("people.schema.json")).unwrap())
            .unwrap();
    let generated = run_ok(common::zeeg().arg("schema"));
    assert_eq!(beside, serde_json::from_str::<Value>(&generated).unwrap());
    let summary = run.stderr.replace(&*sandbox.url, "[SANDBOX]");
    insta::with_settings!({filters => vec![(UUID, "[ID]")]}, {
        insta::assert_snapshot!("small_import_output", summary);
    });
}

fn run_ok(command: &mut std::process::Command) -> String {
    let out = common::run(command);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

/// The sandbox's ids.
const UUID: &str = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

#[test]
fn import_with_sandbox_reads_the_projects_own_sandbox() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = seed(12);
    let document = json!({"customAttributes": {
        "customer_tier": "select=gold|yes|null|123", "seats": "number", "newsletter": "checkbox",
        "products": "multiselect=crm|yes|- x", "notes": "text",
    }, "companies": seed_companies(), "people": seed.people});
    // JSON is YAML, and the seed file reads either.
    std::fs::write(
        tmp.path().join("sandbox-seed.yaml"),
        serde_json::to_string_pretty(&document).unwrap(),
    )
    .unwrap();
    // The project root, where `.zeeg/` and the seed live, is zeeg.yaml's folder.
    std::fs::write(
        tmp.path().join("zeeg.yaml"),
        "defaults:\n  matchingAttribute: email\n",
    )
    .unwrap();

    let run = common::run(common::zeeg().current_dir(tmp.path()).args([
        "import",
        "--sandbox",
        "--out",
        "people",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let imported = seed.people.len() - seed.unmatchable.len();
    assert!(
        run.stderr.contains(&format!(
            "Imported {imported} people, 2 companies and 5 attributes into 2 files"
        )),
        "{}",
        run.stderr
    );
    assert!(tmp.path().join(".zeeg").is_dir());
    assert_eq!(entries(&tmp.path().join("people")).len(), imported);

    // `plan --sandbox` finds the same project, so the same sandbox.
    let plan =
        common::run(
            common::zeeg()
                .current_dir(tmp.path())
                .args(["plan", "--sandbox", "people"]),
        );
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[test]
fn without_a_token_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("people");
    crate::zeeg_snapshot!(
        "no-token",
        common::zeeg()
            .env("ZEEG_API_URL", "http://127.0.0.1:9/v2")
            .args(["import", "--out"])
            .arg(&out)
    );
    assert!(!out.exists());
}

#[test]
fn the_api_url_of_the_projects_zeeg_yaml_is_used() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = seed(5);
    let sandbox = sandbox_with(tmp.path(), &seed, &[]);
    let project = tmp.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("zeeg.yaml"),
        format!("apiUrl: {}\n", sandbox.api_url()),
    )
    .unwrap();

    let run = common::run(
        common::zeeg()
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .current_dir(&project)
            .args(["import", "--out", "crm/people"]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let imported = seed.people.len() - seed.unmatchable.len();
    assert_eq!(entries(&project.join("crm/people")).len(), imported);
}

#[test]
fn values_the_schema_refuses_are_left_out_and_pointed_out() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = Seed {
        people: vec![json!({
            "firstName": "Ada", "emails": ["ada@example.com"],
            "socials": {"linkedin": "www.linkedin.com/in/ada"}
        })],
        unmatchable: vec![],
    };
    let sandbox = sandbox_with(tmp.path(), &seed, &[]);
    let out = tmp.path().join("people");
    // The person named by id and field, never by value.
    let run = crate::zeeg_snapshot!(
        "values-left-out",
        sandbox.zeeg().args(["import", "--out"]).arg(&out),
        [common::ID_FILTER]
    );
    assert!(!run.stderr.contains("www.linkedin.com"), "{}", run.stderr);
    assert_eq!(entries(&out).len(), 1);
    // Left out, so unmanaged: the files plan back clean.
    let written = std::fs::read_to_string(out.join("people.yaml")).unwrap();
    assert!(!written.contains("linkedin"), "{written}");
    let plan = common::run(
        sandbox
            .zeeg()
            .args(["plan", "--detailed-exitcode"])
            .arg(&out),
    );
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

/// What a folder holds, by name, hidden entries included.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_company_id_of_300_characters_names_a_short_stable_file() {
    let tmp = tempfile::tempdir().unwrap();
    let long_id = format!("../{}", "x".repeat(300));
    let mut seed = seed(6);
    for person in &mut seed.people {
        if person.get("companyId").is_some() {
            person["companyId"] = json!(long_id);
        }
    }
    let companies = json!([{"id": long_id, "name": "Long"}]);
    let sandbox = sandbox_with_companies(tmp.path(), &seed, companies, &[]);
    let import = |name: &str| {
        let out = tmp.path().join(name);
        let run = common::run(
            sandbox
                .zeeg()
                .args(["import", "--split-by", "company", "--out"])
                .arg(&out),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        files(&out)
    };
    let first = import("a");
    let names: Vec<&String> = first.keys().collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let company_file = names.iter().find(|n| n.starts_with("company-")).unwrap();
    assert!(
        company_file.len() <= zeeg::import::MAX_FILE_NAME,
        "{company_file}"
    );
    assert!(company_file.starts_with("company-xxxx"), "{company_file}");
    assert!(first[*company_file].contains(&long_id));
    // The same CRM gives the same names and bytes, and nothing lands outside.
    assert_eq!(import("b"), first);
    assert_eq!(listing(tmp.path()), ["a", "b", "seed.json"]);
}

#[test]
fn an_import_that_fails_midway_leaves_nothing_and_a_rerun_works() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox_with(tmp.path(), &seed(12), &[]);
    let out = tmp.path().join("people");
    // A folder where the last file goes: the company files before it are
    // written, then this one cannot be.
    std::fs::create_dir_all(out.join("no-company.yaml")).unwrap();
    let import_command = || {
        import_in(
            &sandbox,
            tmp.path(),
            &["--split-by", "company", "--out", "people"],
        )
    };
    crate::zeeg_snapshot!("fails-midway", &mut import_command());
    assert_eq!(listing(&out), ["no-company.yaml"]);
    assert_eq!(listing(tmp.path()), ["people", "seed.json"]);

    std::fs::remove_dir(out.join("no-company.yaml")).unwrap();
    let run = common::run(&mut import_command());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(files(&out).contains_key("no-company.yaml"));
    assert_eq!(listing(tmp.path()), ["people", "seed.json"]);
}

#[cfg(unix)]
#[test]
fn out_onto_a_symbolic_link_is_refused_and_the_link_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox_with(tmp.path(), &seed(3), &[]);
    let target = tmp.path().join("shared-people");
    std::fs::create_dir(&target).unwrap();
    let link = tmp.path().join("people");
    std::os::unix::fs::symlink("shared-people", &link).unwrap();

    crate::zeeg_snapshot!(
        "out-onto-a-symbolic-link",
        &mut import_in(&sandbox, tmp.path(), &["--out", "people"])
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(listing(&target).is_empty());

    // The folder it points to is fine.
    let run = common::run(sandbox.zeeg().args(["import", "--out"]).arg(&target));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(files(&target).len(), 2);
}

#[test]
fn companies_are_named_by_domain_where_one_names_them_and_plan_says_no_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let long_domain = [
        "a".repeat(60),
        "b".repeat(60),
        "c".repeat(60),
        "example".into(),
    ]
    .join(".");
    let company = |n: u8| format!("{n:08x}-0000-4000-8000-000000000000");
    let companies = json!([
        {"id": company(1), "name": "Acme Corp", "domain": "Acme.example"},
        {"id": company(2), "name": "Bookings Made Me", "domain": null},
        {"id": company(3), "name": null, "domain": "nameless.example"},
        {"id": company(4), "name": "Long", "domain": long_domain},
        {"id": company(5), "name": "Odd", "domain": "not a domain"},
    ]);
    let person = |name: &str, n: Option<u8>| {
        let mut person =
            json!({"firstName": name, "emails": [format!("{}@x.example", name.to_lowercase())]});
        if let Some(n) = n {
            person["companyId"] = json!(company(n));
        }
        person
    };
    let seed = Seed {
        people: vec![
            person("Ada", Some(1)),
            person("Bob", Some(1)),
            person("Cy", Some(2)),
            person("Di", Some(3)),
            person("Ed", Some(4)),
            person("Fay", Some(5)),
            person("Gus", None),
        ],
        unmatchable: vec![],
    };
    let sandbox = sandbox_with_companies(tmp.path(), &seed, companies, &[]);
    // The people's `company` says all import needs: no company is read.
    let run = common::run(
        sandbox
            .zeeg()
            .args(["-vv", "import", "--out"])
            .arg(tmp.path().join("logged")),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("path=/crm/people"), "{}", run.stderr);
    assert!(!run.stderr.contains("/crm/companies"), "{}", run.stderr);
    for split in ["company", "none"] {
        let out = tmp.path().join(split);
        let run = common::run(
            sandbox
                .zeeg()
                .args(["import", "--split-by", split, "--out"])
                .arg(&out),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("Imported 7 people, 3 companies and 5 attributes into"),
            "{}",
            run.stderr
        );
        let written: String = files(&out)
            .iter()
            .map(|(name, text)| format!("=== {name}\n{text}"))
            .collect();
        insta::assert_snapshot!(format!("companies_split_by_{split}"), written);
        let plan = common::run(sandbox.zeeg().arg("plan").arg(&out));
        assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
        assert!(
            plan.stdout
                .contains("No changes. 5 attributes, 3 companies and 7 people up to date."),
            "{split}: {}{}",
            plan.stdout,
            plan.stderr
        );
    }
}

#[test]
fn an_import_into_the_current_folder_stages_inside_it_and_leaves_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox_with(tmp.path(), &seed(3), &[]);
    let here = tmp.path().join("crm");
    std::fs::create_dir(&here).unwrap();
    std::fs::write(here.join("README.md"), "ours").unwrap();
    let run = common::run(
        sandbox
            .zeeg()
            .current_dir(&here)
            .args(["import", "--out", "."]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        listing(&here),
        [
            "README.md",
            "attributes.yaml",
            "people.schema.json",
            "people.yaml"
        ]
    );
    assert_eq!(listing(tmp.path()), ["crm", "seed.json"]);
}

/// Live people holding what the API takes but a people file may not write as
/// is, for the round trip below.
fn awkward_people() -> serde_json::Value {
    let person = |n: u32, fields: serde_json::Value| {
        let mut person = serde_json::json!({
            "id": format!("00000000-0000-4000-8000-00000000000{n}"),
            "createdAt": "2025-01-15T09:00:00+00:00",
            "updatedAt": "2025-01-15T09:00:00+00:00",
        });
        for (key, value) in fields.as_object().unwrap() {
            person[key] = value.clone();
        }
        person
    };
    serde_json::json!([
        person(
            1,
            serde_json::json!({"firstName": "Ann", "emails": ["ann@bücher.de"]})
        ),
        person(
            2,
            serde_json::json!({"firstName": "Sp", "emails": ["  sp@x.io  "]})
        ),
        person(
            3,
            serde_json::json!({"firstName": "Big", "emails": ["big@x.io"],
            "customAttributes": {"seats": 12345678901234567890_u64}})
        ),
        person(
            4,
            serde_json::json!({"firstName": "Date", "emails": ["date@x.io"],
            "customAttributes": {"start": "2024-02-30"}})
        ),
        person(
            5,
            serde_json::json!({"firstName": "Soc", "emails": ["soc@x.io"],
            "socials": {"twitter": "@soc", "linkedin": "soc-handle"}})
        ),
        person(
            6,
            serde_json::json!({"firstName": format!("Su{}", common::LONE_SURROGATE),
            "emails": ["sur@x.io"]})
        ),
    ])
}

#[test]
fn awkward_live_values_import_and_plan_back() {
    let attributes = serde_json::json!([
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "start", "label": "Start", "type": "date"},
    ]);
    let api = common::mock_api_with(awkward_people(), attributes, None);
    let tmp = tempfile::tempdir().unwrap();
    let zeeg = |args: &[&str]| {
        common::run(
            common::zeeg()
                .current_dir(tmp.path())
                .env("ZEEG_API_URL", &api)
                .env("ZEEG_API_TOKEN", common::TOKEN)
                .args(args),
        )
    };
    let import = zeeg(&["import", "--out", "people"]);
    assert_eq!(import.code, 0, "{}", import.stderr);
    let id = |n: u32| format!("00000000-0000-4000-8000-00000000000{n}");
    // What a people file cannot keep is left out, naming person and field.
    for named in [
        format!("{} (customAttributes.seats)", id(3)),
        format!("{} (customAttributes.start)", id(4)),
        format!("{} (socials.linkedin, socials.twitter)", id(5)),
        format!("{} (firstName) with text that is not Unicode", id(6)),
    ] {
        assert!(import.stderr.contains(&named), "{named}: {}", import.stderr);
    }
    assert!(
        import.stderr.contains("Imported 6 people"),
        "{}",
        import.stderr
    );
    let written = std::fs::read_to_string(tmp.path().join("people/people.yaml")).unwrap();
    // The IDN email round-trips; the one with spaces is written trimmed.
    assert!(written.contains("- ann@bücher.de\n"), "{written}");
    assert!(written.contains("- sp@x.io\n"), "{written}");
    assert!(!written.contains("12345678901234567890"), "{written}");

    // Plan accepts what import wrote, and plans everybody, naming the
    // person whose live name is not Unicode.
    let plan = zeeg(&["plan", "--detailed-exitcode", "people"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("No changes. 2 attributes and 6 people up to date."),
        "{}",
        plan.stdout
    );
    assert_eq!(plan.stderr.matches(&id(6)).count(), 1, "{}", plan.stderr);
}
