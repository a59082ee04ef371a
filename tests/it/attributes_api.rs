//! The objects' attribute endpoints over HTTP, client against a sandbox:
//! key derivation with `_2`, options replaced whole (values cleared or
//! renamed on the records holding them), the 400s, 404s and 422s, scopes,
//! companies' custom values, seeds and durability.

use serde_json::{Value, json};
use zeeg::api::{
    ApiError, AttributePatch, AttributeType, Client, ClientConfig, NewAttribute, NewOption,
    ObjectSlug, OptionPatch, Token,
};

use crate::common::{READ_TOKEN, Sandbox, TOKEN};

fn client(sandbox: &Sandbox, token: &str) -> Client {
    Client::new(ClientConfig::new(Token::new(token)).with_base_url(sandbox.api_url())).unwrap()
}

fn select(label: &str, values: &[&str]) -> NewAttribute {
    NewAttribute {
        label: label.to_string(),
        kind: AttributeType::Select,
        is_required: false,
        is_archived: false,
        is_unique: None,
        options: values
            .iter()
            .map(|v| NewOption {
                value: v.to_string(),
                color: None,
            })
            .collect(),
        validation: Vec::new(),
    }
}

fn text(label: &str) -> NewAttribute {
    NewAttribute {
        kind: AttributeType::Text,
        options: Vec::new(),
        ..select(label, &[])
    }
}

async fn upsert(api: &Client, body: Value) {
    api.upsert("email", body.as_object().unwrap())
        .await
        .unwrap();
}

/// The custom values of the one person with this email.
async fn values_of(api: &Client, email: &str) -> serde_json::Map<String, Value> {
    let found = api.search(email).await.unwrap();
    assert_eq!(found.len(), 1, "{email}");
    found[0].custom_attributes.clone()
}

fn status(error: ApiError) -> Option<u16> {
    error.status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_attribute_gets_the_derived_key_or_the_next_free_number() {
    let sandbox = Sandbox::start(&["--custom-attribute", "tier:select=gold|silver"]);
    let api = client(&sandbox, TOKEN);
    let product = api
        .create_attribute(ObjectSlug::People, &text("Product Name"))
        .await
        .unwrap();
    assert_eq!(product.key, "product_name");
    assert_eq!(product.label, "Product Name");
    let tier = api
        .create_attribute(ObjectSlug::People, &select("Tier", &["a", "b"]))
        .await
        .unwrap();
    assert_eq!(tier.key, "tier_2", "tier is taken");
    let again = api
        .create_attribute(ObjectSlug::People, &select("Tier", &["a"]))
        .await
        .unwrap();
    assert_eq!(again.key, "tier_3");
    let email = api
        .create_attribute(ObjectSlug::People, &text("Email"))
        .await
        .unwrap();
    assert_eq!(email.key, "email_2", "a standard key is taken too");
    assert_eq!(tier.option_values(), ["a", "b"]);
    assert!(
        tier.options
            .iter()
            .all(|o| !o.id.is_empty() && o.color.is_some())
    );
    let schema = api.object_schema_of(ObjectSlug::People).await.unwrap();
    let keys: Vec<&str> = schema
        .attributes
        .iter()
        .filter(|a| !a.is_standard)
        .map(|a| a.key.as_str())
        .collect();
    assert_eq!(
        keys,
        ["tier", "product_name", "tier_2", "tier_3", "email_2"]
    );
    // A person can hold a value of the new attribute at once.
    upsert(
        &api,
        json!({"emails": ["a@example.com"], "firstName": "A",
        "customAttributes": {"tier_2": "b", "product_name": "Widget"}}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_need_the_write_scope_and_a_good_body() {
    let sandbox = Sandbox::start(&[]);
    let reader = client(&sandbox, READ_TOKEN);
    let refused = reader
        .create_attribute(ObjectSlug::People, &text("Tier"))
        .await
        .unwrap_err();
    assert_eq!(status(refused), Some(403));
    assert!(reader.object_schema_of(ObjectSlug::Companies).await.is_ok());

    let api = client(&sandbox, TOKEN);
    let no_options = api
        .create_attribute(ObjectSlug::People, &select("Tier", &[]))
        .await
        .unwrap_err();
    assert_eq!(status(no_options), Some(422));
    let twice = api
        .create_attribute(ObjectSlug::People, &select("Tier", &["a", "a"]))
        .await
        .unwrap_err();
    assert_eq!(status(twice), Some(422));
    let unique_select = NewAttribute {
        is_unique: Some(true),
        ..select("Tier", &["a"])
    };
    let refused = api
        .create_attribute(ObjectSlug::People, &unique_select)
        .await
        .unwrap_err();
    assert_eq!(status(refused), Some(422));

    let raw = reqwest::Client::new();
    let post = |body: Value| {
        raw.post(format!(
            "{}/crm/objects/people/attributes",
            sandbox.api_url()
        ))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
    };
    let answer = post(json!({"label": "Tier", "type": "text", "key": "tier"}))
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert!(
        body["errors"]["key"][0]
            .as_str()
            .unwrap()
            .contains("derives")
    );
    let answer = post(json!({"type": "colour"})).await.unwrap();
    let body: Value = answer.json().await.unwrap();
    assert!(body["errors"]["label"].is_array() && body["errors"]["type"].is_array());
    let answer = raw
        .get(format!("{}/crm/objects/deals", sandbox.api_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    // Nothing was created by the refused writes.
    let schema = api.object_schema_of(ObjectSlug::People).await.unwrap();
    assert!(schema.attributes.iter().all(|a| a.is_standard));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_replaces_the_options_and_records_lose_the_values_that_go() {
    let sandbox = Sandbox::start(&[
        "--custom-attribute",
        "tier:select=gold|silver|bronze",
        "--custom-attribute",
        "tags:multiselect=red|blue",
    ]);
    let api = client(&sandbox, TOKEN);
    upsert(
        &api,
        json!({"emails": ["g@example.com"], "firstName": "G",
        "customAttributes": {"tier": "gold", "tags": ["red", "blue"]}}),
    )
    .await;
    upsert(
        &api,
        json!({"emails": ["s@example.com"], "firstName": "S",
        "customAttributes": {"tier": "silver", "tags": ["red"]}}),
    )
    .await;
    let schema = api.object_schema_of(ObjectSlug::People).await.unwrap();
    let tier = schema.attributes.iter().find(|a| a.key == "tier").unwrap();
    let id_of = |value: &str| {
        tier.options
            .iter()
            .find(|o| o.value == value)
            .map(|o| o.id.clone())
    };
    let patch = AttributePatch {
        label: Some("Customer tier".into()),
        options: Some(vec![
            OptionPatch {
                id: id_of("gold"),
                value: "gold".into(),
                color: Some("yellow".into()),
            },
            OptionPatch {
                id: id_of("bronze"),
                value: "copper".into(),
                color: None,
            },
            OptionPatch {
                id: None,
                value: "platinum".into(),
                color: None,
            },
        ]),
        ..AttributePatch::default()
    };
    let patched = api
        .patch_attribute(ObjectSlug::People, "tier", &patch)
        .await
        .unwrap();
    assert_eq!(patched.label, "Customer tier");
    assert_eq!(patched.option_values(), ["gold", "copper", "platinum"]);
    assert_eq!(
        patched.options[0].id,
        id_of("gold").unwrap(),
        "kept with its id"
    );
    assert_eq!(patched.options[0].color.as_deref(), Some("yellow"));
    assert_eq!(patched.options[1].id, id_of("bronze").unwrap());
    assert!(!tier.options.iter().any(|o| o.id == patched.options[2].id));

    assert_eq!(values_of(&api, "g@example.com").await["tier"], "gold");
    let silver = values_of(&api, "s@example.com").await;
    assert!(silver.get("tier").is_none(), "{silver:?}");

    let tags = schema.attributes.iter().find(|a| a.key == "tags").unwrap();
    let blue = tags.options.iter().find(|o| o.value == "blue").unwrap();
    let only_blue = AttributePatch {
        options: Some(vec![OptionPatch {
            id: Some(blue.id.clone()),
            value: "blue".into(),
            color: None,
        }]),
        ..AttributePatch::default()
    };
    api.patch_attribute(ObjectSlug::People, "tags", &only_blue)
        .await
        .unwrap();
    assert_eq!(
        values_of(&api, "g@example.com").await["tags"],
        json!(["blue"])
    );
    let s = values_of(&api, "s@example.com").await;
    assert!(s.get("tags").is_none(), "{s:?}");
    // The gone value is no option any more.
    let refused = api
        .upsert(
            "email",
            json!({"emails": ["s@example.com"], "customAttributes": {"tier": "silver"}})
                .as_object()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(status(refused), Some(422));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_key_and_standard_attributes_cannot_change() {
    let sandbox = Sandbox::start(&["--custom-attribute", "tier:select=gold"]);
    let api = client(&sandbox, TOKEN);
    let raw = reqwest::Client::new();
    let patch = |path: &str, body: Value| {
        raw.patch(format!("{}/crm/objects/{path}", sandbox.api_url()))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let answer = patch("people/attributes/tier", json!({"type": "text"}))
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("archive"));
    let answer = patch("people/attributes/tier", json!({"key": "level"}))
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let answer = patch(
        "people/attributes/first_name",
        json!({"label": "Given name"}),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 400);
    let answer = patch("companies/attributes/domain", json!({"isRequired": true}))
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let unknown = api
        .patch_attribute(ObjectSlug::People, "nope", &AttributePatch::default())
        .await
        .unwrap_err();
    assert_eq!(status(unknown), Some(404));
    let answer = patch(
        "people/attributes/tier",
        json!({"options": [{"id": "no-such-id", "value": "gold"}], "isUnique": true}),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 422);
    let body: Value = answer.json().await.unwrap();
    assert!(body["errors"]["options"].is_array() && body["errors"]["isUnique"].is_array());
    let archived = api
        .patch_attribute(
            ObjectSlug::People,
            "tier",
            &AttributePatch {
                is_archived: Some(true),
                ..AttributePatch::default()
            },
        )
        .await
        .unwrap();
    assert!(archived.is_archived);
    assert_eq!(archived.option_values(), ["gold"], "options untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn companies_hold_custom_values_and_lose_removed_options() {
    let sandbox = Sandbox::start(&[]);
    let api = client(&sandbox, TOKEN);
    let size = api
        .create_attribute(ObjectSlug::Companies, &select("Size", &["small", "large"]))
        .await
        .unwrap();
    assert_eq!(size.key, "size");
    let raw = reqwest::Client::new();
    for (domain, value) in [("a.example", "small"), ("b.example", "large")] {
        let answer = raw
            .put(format!(
                "{}/crm/companies?matchingAttribute=domain",
                sandbox.api_url()
            ))
            .bearer_auth(TOKEN)
            .json(&json!({"name": domain, "domain": domain, "customAttributes": {"size": value}}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
    }
    let answer = raw
        .put(format!(
            "{}/crm/companies?matchingAttribute=domain",
            sandbox.api_url()
        ))
        .bearer_auth(TOKEN)
        .json(&json!({"domain": "a.example", "customAttributes": {"size": "huge"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422, "not an option");
    let large = size.options.iter().find(|o| o.value == "large").unwrap();
    api.patch_attribute(
        ObjectSlug::Companies,
        "size",
        &AttributePatch {
            options: Some(vec![OptionPatch {
                id: Some(large.id.clone()),
                value: "large".into(),
                color: None,
            }]),
            ..AttributePatch::default()
        },
    )
    .await
    .unwrap();
    let companies = api.list_companies().await.unwrap();
    let value_of = |domain: &str| {
        companies
            .iter()
            .find(|c| c.domain.as_deref() == Some(domain))
            .and_then(|c| c.custom_attributes.get("size").cloned())
    };
    assert_eq!(value_of("a.example"), None);
    assert_eq!(value_of("b.example"), Some(json!("large")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_declare_labels_colours_and_company_attributes_and_changes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        "customAttributes:\n  tier:\n    label: Customer tier\n    type: select\n    options: [gold, {value: silver, color: gray}]\n    required: true\n  score: number\ncompanyAttributes:\n  size: {type: select, options: [small]}\ncompanies:\n  - {name: A, domain: a.example, customAttributes: {size: small}}\n",
    )
    .unwrap();
    let state = dir.path().join("state.db");
    let args = [
        "--seed",
        seed.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    let sandbox = Sandbox::start(&args);
    let api = client(&sandbox, TOKEN);
    let people = api.object_schema_of(ObjectSlug::People).await.unwrap();
    let tier = people.attributes.iter().find(|a| a.key == "tier").unwrap();
    assert_eq!(tier.label, "Customer tier");
    assert!(tier.is_required);
    assert_eq!(tier.options[1].color.as_deref(), Some("gray"));
    let companies = api.list_companies().await.unwrap();
    assert_eq!(companies[0].custom_attributes["size"], "small");
    api.patch_attribute(
        ObjectSlug::People,
        "tier",
        &AttributePatch {
            label: Some("Tier".into()),
            ..AttributePatch::default()
        },
    )
    .await
    .unwrap();
    api.create_attribute(ObjectSlug::Companies, &text("Region"))
        .await
        .unwrap();
    drop(sandbox);

    let sandbox = Sandbox::start(&args);
    let api = client(&sandbox, TOKEN);
    let people = api.object_schema_of(ObjectSlug::People).await.unwrap();
    let tier = people.attributes.iter().find(|a| a.key == "tier").unwrap();
    assert_eq!(tier.label, "Tier", "the change outlives the seed's label");
    let companies = api.object_schema_of(ObjectSlug::Companies).await.unwrap();
    let keys: Vec<&str> = companies
        .attributes
        .iter()
        .map(|a| a.key.as_str())
        .collect();
    assert_eq!(keys, ["name", "domain", "size", "region"]);
}
