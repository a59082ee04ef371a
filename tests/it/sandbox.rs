//! `zeeg sandbox serve` over real HTTP on loopback: the rules of `zeeg-api.md`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{self, Api, READ_TOKEN, Sandbox, TOKEN};

/// The request body of the upsert page's curl example, byte for byte.
const SEED_PAGE_BODY: &str = r#"
{
"firstName": "Jane",
"lastName": "Doe",
"salutation": "<string>",
"emails": [
"jane.doe@acme.com"
],
"jobTitle": "<string>",
"description": "<string>",
"phoneNumber": "<string>",
"primaryLocation": "<string>",
"avatarUrl": "<string>",
"companyId": "<string>",
"socials": {
"linkedin": "<string>",
"twitter": "<string>",
"facebook": "<string>",
"instagram": "<string>"
}
}
"#;

/// Snapshot of a body with ids and timestamps replaced.
macro_rules! assert_body_snapshot {
    ($name:expr, $body:expr) => {
        common::snapshot_settings(&[
            common::ID_FILTER,
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "[timestamp]"),
        ])
        .bind(|| {
            insta::assert_snapshot!($name, serde_json::to_string_pretty(&$body).unwrap());
        });
    };
}

fn person(body: &Value) -> &Value {
    &body["person"]
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// A seed holding the company that [`SEED_PAGE_BODY`]'s `companyId` names:
/// the sandbox refuses a `companyId` of no company.
fn page_company_seed(dir: &tempfile::TempDir) -> String {
    let seed = dir.path().join("companies.yaml");
    std::fs::write(
        &seed,
        "companies:\n  - {id: <string>, name: Acme Corp, domain: acme.com}\n",
    )
    .expect("the seed is written");
    seed.to_str().expect("a UTF-8 path").to_string()
}

#[tokio::test]
async fn the_seed_page_body_creates_then_updates_the_same_person() {
    let dir = temp_dir();
    let sandbox = Sandbox::start(&["--seed", &page_company_seed(&dir)]);
    let api = Api::new(&sandbox);
    let (status, created) = api.upsert_raw("email", SEED_PAGE_BODY).await;
    assert_eq!(status, 201, "{created}");
    assert_body_snapshot!("seed_page_created", created);
    let (status, updated) = api.upsert_raw("email", SEED_PAGE_BODY).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"], 200);
    assert_eq!(person(&updated)["id"], person(&created)["id"]);
    assert_eq!(api.read_total().await, 1);
    let id = person(&created)["id"].as_str().unwrap();
    let (status, read) = api.read(&format!("/crm/people/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(read["person"], created["person"]);
}

#[tokio::test]
async fn a_secondary_email_matches_ignoring_case_and_space() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    let (_, created) = api
        .upsert_by(
            "email",
            json!({"firstName": "Ann", "emails": ["ann@acme.com", "Ann.B@Home.org"]}),
        )
        .await;
    let (status, updated) = api
        .upsert_by(
            "emails",
            json!({"emails": ["  ann.b@HOME.ORG "], "jobTitle": "CTO"}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(person(&updated)["id"], person(&created)["id"]);
    // `emails`, when sent, replaces the list; omitted fields are kept.
    assert_eq!(person(&updated)["emails"], json!(["  ann.b@HOME.ORG "]));
    assert_eq!(person(&updated)["firstName"], "Ann");
    // The old primary no longer matches anyone.
    let (status, _) = api
        .upsert_by(
            "email",
            json!({"firstName": "Ann", "emails": ["ann@acme.com"]}),
        )
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_custom_attribute_and_a_standard_slug_match_exactly() {
    let sandbox = Sandbox::start(&["--custom-attribute", "customer_id:text"]);
    let api = Api::new(&sandbox);
    let body = json!({"lastName": "Lee", "customAttributes": {"customer_id": "C-1"}});
    let (status, created) = api.upsert_by("customer_id", body.clone()).await;
    assert_eq!(status, 201, "{created}");
    let (status, updated) = api
        .upsert_by(
            "customer_id",
            json!({"jobTitle": "CFO", "customAttributes": {"customer_id": "C-1"}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(person(&updated)["id"], person(&created)["id"]);
    let (status, _) = api
        .upsert_by(
            "customer_id",
            json!({"lastName": "Lee", "customAttributes": {"customer_id": "c-1"}}),
        )
        .await;
    assert_eq!(status, 201, "custom values compare exactly");

    let (status, _) = api
        .upsert_by(
            "phone_number",
            json!({"firstName": "P", "phoneNumber": "+4930"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = api
        .upsert_by(
            "phone_number",
            json!({"firstName": "P", "phoneNumber": "+4930"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .upsert_by(
            "phone_number",
            json!({"firstName": "P", "phoneNumber": "+49 30"}),
        )
        .await;
    assert_eq!(status, 201, "standard values compare exactly");
}

#[tokio::test]
async fn null_clears_omitted_is_kept_and_maps_merge_key_by_key() {
    let sandbox = Sandbox::start(&[
        "--custom-attribute",
        "tier:select=gold|silver",
        "--custom-attribute",
        "seats:number",
    ]);
    let api = Api::new(&sandbox);
    let company = api
        .assert_company(json!({"name": "Acme", "domain": "acme.com"}))
        .await;
    api.upsert_by(
        "email",
        json!({"firstName": "Bo", "lastName": "Ek", "emails": ["bo@x.io"], "jobTitle": "Dev",
               "companyId": company["company"]["id"],
               "socials": {"linkedin": "li/bo", "twitter": "@bo"},
               "customAttributes": {"tier": "gold", "seats": 5}}),
    )
    .await;
    let (status, body) = api
        .upsert_by(
            "email",
            json!({"emails": ["bo@x.io"], "jobTitle": null, "companyId": null,
                   "socials": {"twitter": null, "instagram": "ig/bo"},
                   "customAttributes": {"seats": null}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let p = person(&body);
    assert_eq!(p["firstName"], "Bo");
    assert_eq!(p["jobTitle"], Value::Null);
    assert_eq!(p["company"], Value::Null);
    assert_eq!(
        p["socials"],
        json!({"linkedin": "li/bo", "twitter": null, "facebook": null, "instagram": "ig/bo"})
    );
    assert_eq!(p["customAttributes"], json!({"tier": "gold"}));
}

#[tokio::test]
async fn several_matches_update_the_oldest() {
    let dir = temp_dir();
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        json!([
            {"id": "b", "firstName": "Newer", "emails": ["x@y.z"], "createdAt": "2025-02-01T00:00:00+00:00"},
            {"id": "a", "firstName": "Older", "emails": ["other@y.z", "X@Y.Z"], "createdAt": "2025-01-01T00:00:00+00:00"}
        ])
        .to_string(),
    )
    .unwrap();
    let sandbox = Sandbox::start(&["--seed", seed.to_str().unwrap()]);
    let api = Api::new(&sandbox);
    let (status, body) = api
        .upsert_by("email", json!({"emails": ["x@y.z"], "jobTitle": "T"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(person(&body)["id"], "a");
    assert_eq!(person(&body)["createdAt"], "2025-01-01T00:00:00+00:00");
    assert_ne!(person(&body)["updatedAt"], "2025-01-01T00:00:00+00:00");
}

#[tokio::test]
async fn missing_unknown_and_read_only_tokens_are_refused() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    let url = format!("{}/crm/people", api.base);
    let (status, missing) = api.send(api.http.get(&url)).await;
    assert_eq!(status, 401);
    let (status, unknown) = api.send(api.http.get(&url).bearer_auth("nope")).await;
    assert_eq!(status, 401);
    assert_eq!(missing, unknown);
    assert_body_snapshot!("unauthorized", missing);
    let (status, forbidden) = api
        .send(
            api.http
                .put(&url)
                .bearer_auth(READ_TOKEN)
                .body(SEED_PAGE_BODY),
        )
        .await;
    assert_eq!(status, 403);
    assert_body_snapshot!("forbidden", forbidden);
    assert_eq!(api.read_total().await, 0);
}

#[tokio::test]
async fn invalid_upserts_get_422_with_field_errors_and_change_nothing() {
    let sandbox = Sandbox::start(&["--custom-attribute", "vip:checkbox"]);
    let api = Api::new(&sandbox);
    let (status, _) = api
        .upsert_by("email", json!({"firstName": "Kept", "emails": ["k@x.io"]}))
        .await;
    assert_eq!(status, 201);

    let cases = [
        (
            "no_name_on_create",
            "email",
            json!({"emails": ["new@x.io"], "jobTitle": "CEO"}),
        ),
        ("no_matching_value", "email", json!({"firstName": "Al"})),
        (
            "unknown_slug",
            "favourite_colour",
            json!({"firstName": "Al", "emails": ["a@x.io"]}),
        ),
        (
            "wrong_types",
            "email",
            json!({"firstName": 7, "emails": ["a@x.io", 3], "socials": {"linkedin": true},
                   "customAttributes": {"vip": "yes"}}),
        ),
        (
            "unknown_fields",
            "email",
            json!({"firstName": "Al", "emails": ["a@x.io"], "nickname": "Ally",
                   "socials": {"myspace": "al"}, "customAttributes": {"shoe_size": 44}}),
        ),
        (
            "read_only_fields",
            "email",
            json!({"firstName": "Al", "emails": ["a@x.io"], "id": "x", "createdAt": "2025-01-15T09:00:00+00:00",
                   "updatedAt": "2025-01-15T09:00:00+00:00", "company": {"id": "c"}}),
        ),
        (
            "clearing_both_names",
            "email",
            json!({"emails": ["k@x.io"], "firstName": null}),
        ),
    ];
    for (name, slug, body) in cases {
        let (status, answer) = api.upsert_by(slug, body).await;
        assert_eq!(status, 422, "{name}: {answer}");
        assert_body_snapshot!(format!("invalid_{name}"), answer);
    }
    let people = api.read_all(100).await;
    assert_eq!(people.len(), 1);
    assert_eq!(people[0]["firstName"], "Kept");
}

#[tokio::test]
async fn malformed_requests_get_400_and_huge_bodies_413() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    let (status, malformed) = api.upsert_raw("email", r#"{"firstName": "Jane""#).await;
    assert_eq!(status, 400);
    assert_body_snapshot!("malformed_json", malformed);
    let (status, not_object) = api.upsert_raw("email", r#"["jane@x.io"]"#).await;
    assert_eq!(status, 400, "{not_object}");
    for (name, query) in [
        ("count_zero", "count=0"),
        ("count_over_100", "count=101"),
        ("page_zero", "page=0"),
        ("page_not_a_number", "page=two"),
    ] {
        let (status, body) = api.read(&format!("/crm/people?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_body_snapshot!(format!("bad_query_{name}"), body);
    }
    let mut huge = String::from(r#"{"firstName": ""#);
    huge.push_str(&"a".repeat(1024 * 1024));
    huge.push_str(r#"", "emails": ["big@x.io"]}"#);
    let (status, body) = api.upsert_raw("email", &huge).await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = api
        .read("/crm/people/3c90c3cc-0d44-4b50-8888-8dd25736052a")
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(api.read_total().await, 0);
}

#[tokio::test]
async fn pagination_returns_every_person_exactly_once_oldest_first() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    const N: usize = 47;
    let mut ids = Vec::new();
    for i in 0..N {
        let (status, body) = api
            .upsert_by(
                "email",
                json!({"firstName": format!("P{i}"), "emails": [format!("p{i}@x.io")]}),
            )
            .await;
        assert_eq!(status, 201);
        ids.push(person(&body)["id"].as_str().unwrap().to_string());
    }
    let (_, first) = api.read("/crm/people?count=10").await;
    assert_eq!(
        first["pagination"],
        json!({"total": N, "count": 10, "totalPages": 5, "previousPage": null,
               "currentPage": 1, "nextPage": "/v2/crm/people?page=2&count=10"})
    );
    let (_, last) = api.read("/crm/people?page=5&count=10").await;
    assert_eq!(last["pagination"]["count"], 7);
    assert_eq!(
        last["pagination"]["previousPage"],
        "/v2/crm/people?page=4&count=10"
    );
    assert_eq!(last["pagination"]["nextPage"], Value::Null);
    let (_, default) = api.read("/crm/people").await;
    assert_eq!(default["collection"].as_array().unwrap().len(), 20);

    let listed = api.read_all(10).await;
    let mut listed_ids: Vec<String> = listed
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let keys: Vec<(String, String)> = listed
        .iter()
        .map(|p| {
            (
                p["createdAt"].as_str().unwrap().to_string(),
                p["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "oldest first, by createdAt then id");
    listed_ids.sort();
    ids.sort();
    assert_eq!(listed_ids, ids);
}

#[tokio::test]
async fn search_finds_names_emails_and_phone_numbers_ignoring_case() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    api.upsert_by(
        "email",
        json!({"firstName": "Zoë", "lastName": "Quinn", "emails": ["zq@acme.com"]}),
    )
    .await;
    api.upsert_by(
        "email",
        json!({"firstName": "Max", "emails": ["max@ACME.com"], "phoneNumber": "+49 555"}),
    )
    .await;
    api.upsert_by(
        "email",
        json!({"lastName": "Other", "emails": ["o@else.org"]}),
    )
    .await;
    let names = |page: &Value| -> Vec<String> {
        page["collection"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["emails"][0].as_str().unwrap().to_string())
            .collect()
    };
    let (_, page) = api.read("/crm/people?search=acme").await;
    assert_eq!(names(&page), ["zq@acme.com", "max@ACME.com"]);
    let (_, page) = api.read("/crm/people?search=QUINN").await;
    assert_eq!(names(&page), ["zq@acme.com"]);
    let (_, page) = api.read("/crm/people?search=%2B49%205").await;
    assert_eq!(names(&page), ["max@ACME.com"]);
    let (_, page) = api.read("/crm/people?search=nobody").await;
    assert_eq!(page["pagination"]["total"], 0);
    let (_, page) = api.read("/crm/people?search=acme&count=1").await;
    assert_eq!(
        page["pagination"]["nextPage"],
        "/v2/crm/people?page=2&count=1&search=acme"
    );
}

#[tokio::test]
async fn the_schema_lists_standard_and_custom_attributes() {
    let sandbox = Sandbox::start(&[
        "--custom-attribute",
        "customer_tier:select=gold|silver",
        "--custom-attribute",
        "seats:number",
    ]);
    let api = Api::new(&sandbox);
    let (status, body) = api.read("/crm/objects/people").await;
    assert_eq!(status, 200);
    assert_body_snapshot!("object_schema", body);
}

#[tokio::test]
async fn state_survives_a_restart_and_a_kill_right_after_an_answered_write() {
    let dir = temp_dir();
    let state = dir.path().join("state.db");
    let state = state.to_str().unwrap();
    let seed = page_company_seed(&dir);
    let created = {
        let sandbox = Sandbox::start(&["--state", state, "--seed", &seed]);
        let api = Api::new(&sandbox);
        let (status, body) = api.upsert_raw("email", SEED_PAGE_BODY).await;
        assert_eq!(status, 201);
        body
    };
    let mut sandbox = Sandbox::start(&["--state", state]);
    let api = Api::new(&sandbox);
    let (status, body) = api
        .upsert_by(
            "email",
            json!({"emails": ["jane.doe@acme.com"], "jobTitle": "CEO"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(person(&body)["id"], person(&created)["id"]);
    // SIGKILL the moment the answer is in: nothing acknowledged may be lost.
    sandbox.child.kill().unwrap();
    sandbox.child.wait().unwrap();

    let sandbox = Sandbox::start(&["--state", state]);
    let api = Api::new(&sandbox);
    let people = api.read_all(100).await;
    assert_eq!(people.len(), 1);
    assert_eq!(people[0]["jobTitle"], "CEO");
    assert_eq!(people[0]["firstName"], "Jane");
}

#[tokio::test]
async fn a_seed_applies_only_to_a_new_state() {
    let dir = temp_dir();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(&seed, "- firstName: Seeded\n  emails: [s@x.io]\n").unwrap();
    let state = dir.path().join("state.db");
    let args = [
        "--seed",
        seed.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    {
        let sandbox = Sandbox::start(&args);
        let api = Api::new(&sandbox);
        api.upsert_by(
            "email",
            json!({"emails": ["s@x.io"], "firstName": "Changed"}),
        )
        .await;
    }
    let sandbox = Sandbox::start(&args);
    let people = Api::new(&sandbox).read_all(100).await;
    assert_eq!(people.len(), 1);
    assert_eq!(people[0]["firstName"], "Changed");
}

#[tokio::test]
async fn seed_files_come_as_a_list_or_a_mapping_in_yaml_or_json() {
    let dir = temp_dir();
    let list = dir.path().join("list.yml");
    std::fs::write(
        &list,
        "- id: 0b8e0d7e-5a4c-4f55-9a42-3d1b8f6f0a01\n  firstName: Ada\n  emails: [ada@x.io]\n  createdAt: '2025-01-15T09:00:00+00:00'\n  company: {id: c1, name: Acme, domain: acme.com}\n- lastName: Byron\n",
    )
    .unwrap();
    let sandbox = Sandbox::start(&["--seed", list.to_str().unwrap()]);
    let people = Api::new(&sandbox).read_all(100).await;
    assert_eq!(people.len(), 2);
    assert_eq!(people[0]["id"], "0b8e0d7e-5a4c-4f55-9a42-3d1b8f6f0a01");
    assert_eq!(people[0]["createdAt"], "2025-01-15T09:00:00+00:00");
    assert_eq!(people[0]["company"]["name"], "Acme");
    assert_eq!(people[1]["lastName"], "Byron");
    drop(sandbox);

    let mapping = dir.path().join("seed.json");
    std::fs::write(
        &mapping,
        json!({"customAttributes": {"tier": "select=gold|silver"},
               "people": [{"firstName": "Cy", "customAttributes": {"tier": "gold"}}]})
        .to_string(),
    )
    .unwrap();
    let sandbox = Sandbox::start(&["--seed", mapping.to_str().unwrap()]);
    let api = Api::new(&sandbox);
    let (status, body) = api
        .upsert_by(
            "tier",
            json!({"customAttributes": {"tier": "gold"}, "jobTitle": "X"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(person(&body)["firstName"], "Cy");
    let (_, schema) = api.read("/crm/objects/people").await;
    assert!(
        schema["object"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["key"] == "tier")
    );
}

#[test]
fn a_bad_seed_or_flag_is_a_clear_error() {
    let dir = temp_dir();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(&seed, "- firstName: Ann\n- emails: [nobody@x.io]\n").unwrap();
    let bad = |args: &[&str]| {
        let mut command = common::zeeg();
        command
            .args(["sandbox", "serve", "--addr", "127.0.0.1:0"])
            .args(args);
        let run = common::run(&mut command);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stdout.is_empty());
        run.stderr.replace(dir.path().to_str().unwrap(), "[dir]")
    };
    let stderr = bad(&["--seed", seed.to_str().unwrap()]);
    assert!(
        stderr.contains("[dir]/seed.yaml is invalid at [1]: needs a firstName or a lastName"),
        "{stderr}"
    );
    std::fs::write(
        &seed,
        "people: [{firstName: Ann, customAttributes: {tier: 1}}]\n",
    )
    .unwrap();
    let stderr = bad(&["--seed", seed.to_str().unwrap()]);
    assert!(
        stderr.contains("invalid at people[0].customAttributes.tier"),
        "{stderr}"
    );
    std::fs::write(&seed, "people: [firstName: {\n").unwrap();
    let stderr = bad(&["--seed", seed.to_str().unwrap()]);
    assert!(stderr.contains("is not valid YAML"), "{stderr}");
    let stderr = bad(&["--custom-attribute", "tier:colour"]);
    assert!(
        stderr.contains("invalid custom attribute `tier:colour`: unknown type `colour`"),
        "{stderr}"
    );
    let stderr = bad(&["--fail-rate", "1.5"]);
    assert!(stderr.contains("invalid fail rate 1.5"), "{stderr}");
    let stderr = bad(&["--fail-rate", "0.1", "--fail-mix", "503=1"]);
    assert!(
        stderr.contains("invalid fail mix `503=1`: unknown fault `503`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("429-bare"),
        "the help names the faults: {stderr}"
    );
    let stderr = bad(&["--rate-schedule", "100@0,20@5,30@2"]);
    assert!(
        stderr.contains(
            "invalid rate schedule `100@0,20@5,30@2`: the steps must be in order of time"
        ),
        "{stderr}"
    );
    let stderr = bad(&["--rate-limit", "10", "--rate-burst", "0"]);
    assert!(stderr.contains("invalid rate burst 0"), "{stderr}");
    let stderr = bad(&["--rate-limit", "10", "--rate-schedule", "10@0"]);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

/// `count` requests to the people list as fast as they go: the status and
/// `Retry-After` of each.
async fn burst(api: &Api, count: usize) -> Vec<(u16, Option<String>)> {
    let mut answers = Vec::new();
    for _ in 0..count {
        let response = api
            .http
            .get(format!("{}/crm/people", api.base))
            .bearer_auth(READ_TOKEN)
            .send()
            .await
            .unwrap();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        answers.push((response.status().as_u16(), retry_after));
    }
    answers
}

#[tokio::test]
async fn the_rate_limit_starts_empty_and_holds_its_burst() {
    // Empty at the start: other integrations have just used the workspace.
    let sandbox = Sandbox::start(&["--rate-limit", "1"]);
    let first = burst(&Api::new(&sandbox), 1).await;
    assert_eq!(first[0].0, 429, "{first:?}");
    let sandbox = Sandbox::start(&["--rate-limit", "100", "--rate-burst", "5"]);
    let api = Api::new(&sandbox);
    // Idle long enough to refill fifty: it holds five.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let answers = burst(&api, 8).await;
    let accepted = answers
        .iter()
        .take_while(|(status, _)| *status == 200)
        .count();
    assert!((5..=6).contains(&accepted), "{answers:?}");
}

#[tokio::test]
async fn retry_after_is_fixed_or_an_http_date_as_asked() {
    let sandbox = Sandbox::start(&["--rate-limit", "1", "--retry-after", "7"]);
    let api = Api::new(&sandbox);
    let answers = burst(&api, 1).await;
    assert_eq!(answers, [(429, Some("7".to_string()))]);

    let sandbox = Sandbox::start(&[
        "--fail-rate",
        "1",
        "--fail-mix",
        "429=1",
        "--retry-after-date",
    ]);
    let api = Api::new(&sandbox);
    let answers = burst(&api, 1).await;
    assert_eq!(answers[0].0, 429);
    let date = answers[0].1.as_deref().expect("a Retry-After");
    let when = httpdate::parse_http_date(date).expect("an HTTP date");
    let wait = when
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    assert!(wait <= Duration::from_secs(3), "{date}: {wait:?}");
    assert!(wait >= Duration::from_millis(500), "{date}: {wait:?}");

    let sandbox = Sandbox::start(&["--fail-rate", "1", "--fail-mix", "429-bare=1"]);
    let api = Api::new(&sandbox);
    assert_eq!(burst(&api, 3).await, vec![(429, None); 3]);
}

#[tokio::test]
async fn a_rate_schedule_changes_the_limit_from_the_first_request() {
    // 1,000/s, then 2/s from 0.3 s: a burst passes at first, not later.
    let sandbox = Sandbox::start(&["--rate-schedule", "1000@0,2@0.3"]);
    let api = Api::new(&sandbox);
    let _ = burst(&api, 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let early = burst(&api, 10).await;
    assert!(
        early.iter().filter(|(s, _)| *s == 200).count() >= 8,
        "{early:?}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let late = burst(&api, 10).await;
    assert!(
        late.iter().filter(|(s, _)| *s == 200).count() <= 2,
        "{late:?}"
    );
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let sandbox = Sandbox::start(&["--rate-limit", "3"]);
    let api = Api::new(&sandbox);
    let mut limited = None;
    for _ in 0..10 {
        let response = api
            .http
            .get(format!("{}/crm/people", api.base))
            .bearer_auth(READ_TOKEN)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let response = limited.expect("a burst beyond the limit gets 429");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 429);
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _) = api.read("/crm/people").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn failed_requests_change_nothing() {
    // The default mix: 500s, 429s with and without Retry-After, drops.
    let sandbox = Sandbox::start(&["--fail-rate", "0.5"]);
    let api = Api::new(&sandbox);
    let mut acknowledged = Vec::new();
    let (mut server_errors, mut dropped) = (0, 0);
    let (mut throttled, mut throttled_bare) = (0, 0);
    for i in 0..80 {
        let email = format!("f{i}@x.io");
        let sent = api
            .http
            .put(format!("{}/crm/people?matchingAttribute=email", api.base))
            .bearer_auth(TOKEN)
            .json(&json!({"firstName": "F", "emails": [email]}))
            .send()
            .await;
        match sent {
            Ok(response) if response.status() == 201 => acknowledged.push(email),
            Ok(response) if response.status() == 429 => {
                match response.headers().get("retry-after") {
                    Some(value) => {
                        assert_eq!(value, "1");
                        throttled += 1;
                    }
                    None => throttled_bare += 1,
                }
            }
            Ok(response) => {
                assert_eq!(response.status(), 500);
                server_errors += 1;
            }
            Err(_) => dropped += 1,
        }
    }
    assert!(
        server_errors > 0 && dropped > 0 && throttled > 0 && throttled_bare > 0,
        "{server_errors} 500s, {dropped} dropped, {throttled} 429s, {throttled_bare} bare 429s"
    );
    // Reads fail too; retry until one page holds everything.
    let page = loop {
        if let Ok(response) = api
            .http
            .get(format!("{}/crm/people?count=100", api.base))
            .bearer_auth(READ_TOKEN)
            .send()
            .await
            && response.status() == 200
            && let Ok(page) = response.json::<Value>().await
        {
            break page;
        }
    };
    let mut stored: Vec<String> = page["collection"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["emails"][0].as_str().unwrap().to_string())
        .collect();
    stored.sort();
    acknowledged.sort();
    assert_eq!(stored, acknowledged);
}

#[test]
fn sigterm_stops_the_sandbox_cleanly() {
    let mut sandbox = Sandbox::start(&[]);
    let pid = sandbox.child.id() as i32;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = sandbox.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn the_sandbox_prints_the_url_and_the_token_to_use_as_they_are() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = common::zeeg()
        .args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--latency",
            "300",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = stdout.next().unwrap().unwrap();
    // The URL to use as it is: the API's base, `/v2` included.
    let url = line
        .strip_prefix("listening on ")
        .expect("the listening line")
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/v2"),
        "{url}"
    );
    let token = stdout.next().unwrap().unwrap();
    assert_eq!(
        token,
        "token: zeeg-sandbox-token (no --token given; it reads and writes)"
    );
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let notice = stderr.next().unwrap().unwrap();
    assert_eq!(
        notice,
        format!("Try: ZEEG_API_URL={url} ZEEG_API_TOKEN=zeeg-sandbox-token zeeg plan PATH")
    );
    // What it printed works as printed, with zeeg itself.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("people.yaml"),
        "people:\n  - firstName: Ada\n    emails: [ada@acme.example]\n",
    )
    .unwrap();
    let planned = common::run(
        common::zeeg()
            .env("ZEEG_API_URL", &url)
            .env("ZEEG_API_TOKEN", "zeeg-sandbox-token")
            .current_dir(dir.path())
            .arg("plan"),
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    // Without `/v2`, the 404 names the whole URL it tried.
    let bare = url.trim_end_matches("/v2");
    let wrong = common::run(
        common::zeeg()
            .env("ZEEG_API_URL", bare)
            .env("ZEEG_API_TOKEN", "zeeg-sandbox-token")
            .current_dir(dir.path())
            .arg("plan"),
    );
    assert_eq!(wrong.code, 1);
    assert!(
        wrong
            .stderr
            .contains(&format!("404 Not Found (the URL tried: {bare}/crm/")),
        "{}",
        wrong.stderr
    );
    assert!(wrong.stderr.contains("/v2 included"), "{}", wrong.stderr);
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let response = client
        .get(format!("{url}/crm/people"))
        .bearer_auth("zeeg-sandbox-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "--latency delays answers"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// `--latency` is a lower bound for every answer, including many at once; how
/// little it overshoots is a figure of `cargo bench --bench apply`, not a test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_comes_sooner_than_the_latency() {
    let sandbox = Sandbox::start(&["--latency", "3"]);
    let client = reqwest::Client::new();
    let url = format!("{}/crm/people?limit=1", sandbox.api_url());
    let one = |client: reqwest::Client, url: String| async move {
        let started = std::time::Instant::now();
        let response = client.get(url).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(response.status(), 200);
        started.elapsed()
    };
    for _ in 0..20 {
        let waited = one(client.clone(), url.clone()).await;
        assert!(waited >= Duration::from_millis(3), "{waited:?}");
    }
    let together = (0..50).map(|_| tokio::spawn(one(client.clone(), url.clone())));
    for waited in futures::future::join_all(together).await {
        let waited = waited.unwrap();
        assert!(waited >= Duration::from_millis(3), "{waited:?}");
    }
}

// ---------------------------------------------------------------------------
// Companies

fn company(body: &Value) -> &Value {
    &body["company"]
}

#[tokio::test]
async fn a_company_is_asserted_by_domain_ignoring_case_and_space() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    let (status, created) = api
        .put_company(
            "matchingAttribute=domain",
            json!({"name": "Acme Corp", "domain": "acme.com"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_body_snapshot!("company_created", created);
    let id = company(&created)["id"].clone();

    // Found by its domain in another spelling: the name sent replaces, and the
    // domain is stored as sent.
    let (status, renamed) = api
        .put_company(
            "matchingAttribute=domain",
            json!({"name": "Acme Inc", "domain": "  ACME.com "}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["status"], 200);
    assert_eq!(company(&renamed)["id"], id);
    assert_eq!(company(&renamed)["name"], "Acme Inc");
    assert_eq!(company(&renamed)["domain"], "  ACME.com ");
    assert_eq!(
        company(&renamed)["createdAt"],
        company(&created)["createdAt"]
    );

    // A field left out of an update is kept.
    let (status, kept) = api
        .put_company("matchingAttribute=domain", json!({"domain": "acme.COM"}))
        .await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(company(&kept)["name"], "Acme Inc");
    assert_eq!(company(&kept)["domain"], "acme.COM");

    let (status, read) = api
        .read(&format!("/crm/companies/{}", id.as_str().unwrap()))
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        read,
        json!({"success": true, "status": 200, "company": company(&kept)})
    );
    let (status, missing) = api
        .read("/crm/companies/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(status, 404, "{missing}");
    assert_eq!(missing["message"], "no company has this id");
    let (_, list) = api.read("/crm/companies").await;
    assert_eq!(list["pagination"]["total"], 1, "one domain, one company");
}

#[tokio::test]
async fn invalid_company_asserts_get_422_with_field_errors_and_change_nothing() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    let refused = |query: &'static str, body: Value| {
        let api = &api;
        async move {
            let (status, answer) = api.put_company(query, body).await;
            assert_eq!(status, 422, "{answer}");
            let fields: Vec<String> = answer["errors"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            fields
        }
    };
    assert_eq!(
        refused("matchingAttribute=domain", json!({"name": "Acme"})).await,
        ["domain"]
    );
    assert_eq!(
        refused("matchingAttribute=domain", json!({"domain": "acme.com"})).await,
        ["name"],
        "a create needs a name"
    );
    assert_eq!(
        refused(
            "matchingAttribute=name",
            json!({"name": "Acme", "domain": "acme.com"})
        )
        .await,
        ["matchingAttribute"]
    );
    assert_eq!(
        refused(
            "matchingAttribute=domain",
            json!({"name": null, "domain": "", "id": "x", "industry": "Retail"})
        )
        .await,
        ["name", "domain", "id", "industry"]
    );
    let (status, answer) = api
        .put_company("matchingAttribute=name", json!({"name": "Acme"}))
        .await;
    assert_eq!(status, 422);
    assert_body_snapshot!("company_refused", answer);

    let url = format!("{}/crm/companies?matchingAttribute=domain", api.base);
    let (status, _) = api
        .send(api.http.put(&url).bearer_auth(TOKEN).body("[1]"))
        .await;
    assert_eq!(status, 400, "a body that is not an object");
    let acme = json!({"name": "Acme", "domain": "acme.com"});
    let (status, _) = api
        .send(api.http.put(&url).bearer_auth(READ_TOKEN).json(&acme))
        .await;
    assert_eq!(status, 403, "asserting needs crm:write");
    let (status, _) = api.send(api.http.put(&url).json(&acme)).await;
    assert_eq!(status, 401);
    let (status, _) = api
        .send(api.http.get(format!("{}/crm/companies", api.base)))
        .await;
    assert_eq!(status, 401, "listing needs a token");

    let (_, list) = api.read("/crm/companies").await;
    assert_eq!(list["pagination"]["total"], 0, "{list}");
}

#[tokio::test]
async fn companies_list_oldest_first_in_pages_and_search_name_or_domain() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    let names = ["Acme", "Initech", "Globex", "Umbrella", "Hooli"];
    let mut ids = Vec::new();
    for name in names {
        let domain = format!("{}.example", name.to_lowercase());
        let answer = api
            .assert_company(json!({"name": name, "domain": domain}))
            .await;
        ids.push(company(&answer)["id"].clone());
    }
    let mut listed = Vec::new();
    let mut path = "/crm/companies?count=2".to_string();
    let mut pages = 0;
    loop {
        let (status, page) = api.read(&path).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        assert_eq!(page["pagination"]["total"], 5);
        assert_eq!(page["pagination"]["totalPages"], 3);
        listed.extend(
            page["collection"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].clone()),
        );
        match page["pagination"]["nextPage"].as_str() {
            Some(next) => {
                assert!(next.starts_with("/v2/crm/companies?"), "{next}");
                path = next.strip_prefix("/v2").unwrap().to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(listed, ids, "each company once, oldest first");

    let (_, found) = api.read("/crm/companies?search=INIT").await;
    assert_eq!(found["pagination"]["total"], 1, "{found}");
    assert_eq!(found["collection"][0]["name"], "Initech");
    // The domain is searched too: every company's ends in .example.
    let (_, found) = api
        .read("/crm/companies?search=.EXAMPLE&count=2&page=3")
        .await;
    assert_eq!(found["pagination"]["total"], 5, "{found}");
    assert_eq!(found["collection"][0]["name"], "Hooli");
    assert_eq!(
        found["pagination"]["previousPage"],
        "/v2/crm/companies?page=2&count=2&search=.EXAMPLE"
    );
    let (_, none) = api.read("/crm/companies?search=nobody").await;
    assert_eq!(none["collection"], json!([]));
    let (status, _) = api.read("/crm/companies?count=101").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_person_shows_its_company_as_it_is_now() {
    let sandbox = Sandbox::start(&[]);
    let api = Api::new(&sandbox);
    let acme = api
        .assert_company(json!({"name": "Acme", "domain": "acme.com"}))
        .await;
    let acme_id = company(&acme)["id"].clone();
    let (status, linked) = api
        .upsert_by(
            "email",
            json!({"firstName": "Ada", "emails": ["ada@acme.com"], "companyId": acme_id}),
        )
        .await;
    assert_eq!(status, 201, "{linked}");
    assert_eq!(
        person(&linked)["company"],
        json!({"id": acme_id, "name": "Acme", "domain": "acme.com"})
    );
    let person_id = person(&linked)["id"].as_str().unwrap().to_string();

    // The rename shows through the person, who did not change.
    api.assert_company(json!({"name": "Acme Corp", "domain": "ACME.com"}))
        .await;
    let (_, read) = api.read(&format!("/crm/people/{person_id}")).await;
    assert_eq!(
        read["person"]["company"],
        json!({"id": acme_id, "name": "Acme Corp", "domain": "ACME.com"})
    );
    assert_eq!(read["person"]["updatedAt"], person(&linked)["updatedAt"]);
    let (_, list) = api.read("/crm/people?search=ada").await;
    assert_eq!(list["collection"][0]["company"]["name"], "Acme Corp");

    // An unknown company is refused and changes nothing.
    let (status, refused) = api
        .upsert_by(
            "email",
            json!({"emails": ["ada@acme.com"], "jobTitle": "CTO",
                   "companyId": "00000000-0000-4000-8000-000000000000"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_body_snapshot!("unknown_company_refused", refused);
    let (status, _) = api
        .upsert_by(
            "email",
            json!({"firstName": "Bo", "emails": ["bo@acme.com"], "companyId": "nope"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(api.read_total().await, 1, "nobody created");
    let (_, read) = api.read(&format!("/crm/people/{person_id}")).await;
    assert_eq!(read["person"]["jobTitle"], Value::Null);

    // Moved to another company, then unlinked.
    let initech = api
        .assert_company(json!({"name": "Initech", "domain": "initech.example"}))
        .await;
    let (_, moved) = api
        .upsert_by(
            "email",
            json!({"emails": ["ada@acme.com"], "companyId": company(&initech)["id"]}),
        )
        .await;
    assert_eq!(person(&moved)["company"]["name"], "Initech");
    api.assert_company(json!({"name": "Acme Renamed", "domain": "acme.com"}))
        .await;
    let (_, read) = api.read(&format!("/crm/people/{person_id}")).await;
    assert_eq!(
        read["person"]["company"]["name"], "Initech",
        "no longer Acme's"
    );
    let (_, unlinked) = api
        .upsert_by(
            "email",
            json!({"emails": ["ada@acme.com"], "companyId": null}),
        )
        .await;
    assert_eq!(person(&unlinked)["company"], Value::Null);
}

#[tokio::test]
async fn companies_and_links_survive_a_restart_and_a_kill() {
    let dir = temp_dir();
    let state = dir.path().join("state.db");
    let state = state.to_str().unwrap();
    let (acme_id, person_id) = {
        let sandbox = Sandbox::start(&["--state", state]);
        let api = Api::new(&sandbox);
        let acme = api
            .assert_company(json!({"name": "Acme", "domain": "acme.com"}))
            .await;
        let acme_id = company(&acme)["id"].clone();
        let (_, linked) = api
            .upsert_by(
                "email",
                json!({"firstName": "Ada", "emails": ["ada@acme.com"], "companyId": acme_id}),
            )
            .await;
        (acme_id, person(&linked)["id"].as_str().unwrap().to_string())
    };
    let mut sandbox = Sandbox::start(&["--state", state]);
    let api = Api::new(&sandbox);
    let (status, _) = api
        .put_company(
            "matchingAttribute=domain",
            json!({"name": "Acme Corp", "domain": "acme.com"}),
        )
        .await;
    assert_eq!(status, 200, "the company came back from the state");
    // SIGKILL the moment the answer is in: nothing acknowledged may be lost.
    sandbox.child.kill().unwrap();
    sandbox.child.wait().unwrap();

    let sandbox = Sandbox::start(&["--state", state]);
    let api = Api::new(&sandbox);
    let (_, list) = api.read("/crm/companies").await;
    assert_eq!(list["pagination"]["total"], 1, "{list}");
    assert_eq!(list["collection"][0]["id"], acme_id);
    assert_eq!(list["collection"][0]["name"], "Acme Corp");
    let (_, read) = api.read(&format!("/crm/people/{person_id}")).await;
    assert_eq!(
        read["person"]["company"],
        json!({"id": acme_id, "name": "Acme Corp", "domain": "acme.com"}),
        "the person shows the renamed company after a restart"
    );
}

#[tokio::test]
async fn seeds_hold_companies_and_people_link_to_them() {
    let dir = temp_dir();
    let mapping = dir.path().join("seed.yaml");
    std::fs::write(
        &mapping,
        "companies:\n  - id: c-acme\n    name: Acme\n    domain: acme.com\n    createdAt: '2025-01-15T09:00:00+00:00'\n  - name: Initech\n    domain: initech.example\n  - id: c-booked\n    name: null\n    domain: booked.example\npeople:\n  - firstName: Ada\n    companyId: c-acme\n  - firstName: Cy\n    company: {id: c-acme, name: Old name, domain: old.example}\n",
    )
    .unwrap();
    let sandbox = Sandbox::start(&["--seed", mapping.to_str().unwrap()]);
    let api = Api::new(&sandbox);
    let (_, list) = api.read("/crm/companies").await;
    let names: Vec<&Value> = list["collection"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["name"])
        .collect();
    assert_eq!(names, [&json!("Acme"), &json!("Initech"), &Value::Null]);
    assert_eq!(
        list["collection"][0]["createdAt"],
        "2025-01-15T09:00:00+00:00"
    );
    let people = api.read_all(100).await;
    let acme = json!({"id": "c-acme", "name": "Acme", "domain": "acme.com"});
    assert_eq!(people[0]["company"], acme);
    assert_eq!(
        people[1]["company"], acme,
        "a seeded company wins over a stale view"
    );
    // The seeded companies are there to assert, by domain.
    let (status, _) = api
        .put_company(
            "matchingAttribute=domain",
            json!({"domain": "INITECH.example"}),
        )
        .await;
    assert_eq!(status, 200);
    drop(sandbox);

    // A list-shaped seed declares a company through a person's `company`.
    let list_seed = dir.path().join("list.json");
    std::fs::write(
        &list_seed,
        json!([
            {"firstName": "Ada", "company": {"id": "c1", "name": "Acme", "domain": "acme.com"}},
            {"firstName": "Bo", "companyId": "c1"},
        ])
        .to_string(),
    )
    .unwrap();
    let sandbox = Sandbox::start(&["--seed", list_seed.to_str().unwrap()]);
    let api = Api::new(&sandbox);
    let (_, read) = api.read("/crm/companies/c1").await;
    assert_eq!(read["company"]["name"], "Acme", "{read}");
    let people = api.read_all(100).await;
    assert_eq!(people[1]["company"]["domain"], "acme.com");
}

#[test]
fn a_seed_with_a_bad_company_is_a_clear_error() {
    let dir = temp_dir();
    let seed = dir.path().join("seed.yaml");
    let refused = |text: &str| {
        std::fs::write(&seed, text).unwrap();
        let mut command = common::zeeg();
        command
            .args(["sandbox", "serve", "--addr", "127.0.0.1:0", "--seed"])
            .arg(&seed);
        let run = common::run(&mut command);
        assert_eq!(run.code, 1, "{}", run.stderr);
        // One line per message, however the terminal width wrapped it.
        run.stderr
            .replace("\n  | ", " ")
            .replace(dir.path().to_str().unwrap(), "[dir]")
    };
    let stderr = refused("people:\n  - firstName: Ann\n    companyId: nowhere\n");
    assert!(
        stderr.contains(
            "[dir]/seed.yaml is invalid at people[0].companyId: names no company of the seed"
        ),
        "{stderr}"
    );
    let stderr = refused(
        "companies:\n  - {name: A, domain: acme.com}\n  - {name: B, domain: ' ACME.com'}\n",
    );
    assert!(
        stderr.contains("invalid at companies[1].domain: is the domain of an earlier company too"),
        "{stderr}"
    );
    let stderr = refused("companies:\n  - {name: A, domain: acme.com, industry: x}\n");
    assert!(
        stderr.contains("invalid at companies[0].industry: is not a field of a company"),
        "{stderr}"
    );
    let stderr = refused("companies: {acme.com: Acme}\n");
    assert!(
        stderr.contains("invalid at companies: must be a list of companies"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_state_from_before_companies_keeps_its_links_usable() {
    let dir = temp_dir();
    let state = dir.path().join("state.db");
    let (acme_id, person_id) = {
        let sandbox = Sandbox::start(&["--state", state.to_str().unwrap()]);
        let api = Api::new(&sandbox);
        let acme = api
            .assert_company(json!({"name": "Acme", "domain": "acme.com"}))
            .await;
        let acme_id = company(&acme)["id"].clone();
        let (_, linked) = api
            .upsert_by(
                "email",
                json!({"firstName": "Ada", "emails": ["ada@acme.com"], "companyId": acme_id}),
            )
            .await;
        (acme_id, person(&linked)["id"].clone())
    };
    // What an older sandbox left: people linked to companies it never stored.
    rusqlite::Connection::open(&state)
        .and_then(|db| db.execute("DELETE FROM companies", []))
        .expect("the companies are removed");

    let sandbox = Sandbox::start(&["--state", state.to_str().unwrap()]);
    let api = Api::new(&sandbox);
    let (status, read) = api
        .read(&format!("/crm/companies/{}", acme_id.as_str().unwrap()))
        .await;
    assert_eq!(status, 200, "declared from the person's view of it: {read}");
    assert_eq!(company(&read)["domain"], "acme.com");
    let (status, again) = api
        .upsert_by(
            "email",
            json!({"emails": ["ada@acme.com"], "companyId": acme_id, "jobTitle": "CTO"}),
        )
        .await;
    assert_eq!(status, 200, "the link is still accepted: {again}");
    assert_eq!(person(&again)["id"], person_id);
    drop(sandbox);
    let sandbox = Sandbox::start(&["--state", state.to_str().unwrap()]);
    let (_, list) = Api::new(&sandbox).read("/crm/companies").await;
    assert_eq!(list["pagination"]["total"], 1, "and stored: {list}");
}
