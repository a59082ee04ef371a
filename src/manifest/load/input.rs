//! A people file that passed the schema, item by item on its way to entries:
//! defaults merged, fields checked, each problem at its place.

use super::*;

/// A people file that passed the schema, on its way to entries.
pub(super) struct FileInput<'a> {
    pub(super) found: &'a Found,
    /// The spans of the file, as far as it was parsed.
    pub(super) spans: &'a Spans,
    pub(super) source: &'a SourceText,
    pub(super) file_defaults: Option<&'a Map<String, Value>>,
    pub(super) project_defaults: Option<&'a Map<String, Value>>,
    /// Where zeeg.yaml writes each `defaults.customAttributes` value.
    pub(super) project_defaults_at: &'a HashMap<String, SourceLocation>,
    /// Where zeeg.yaml writes `defaults.company`.
    pub(super) project_company_at: Option<&'a SourceLocation>,
    pub(super) keep: Keep,
}

impl FileInput<'_> {
    /// The file's `companies`, but those the schema refused; each domain
    /// must be a host name.
    pub(super) fn load_companies(
        &self,
        list: Option<&Vec<Value>>,
        bad: &HashSet<usize>,
        problems: &mut Vec<Problem>,
    ) -> Vec<LoadedCompany> {
        let mut companies = Vec::new();
        for (index, item) in list.into_iter().flatten().enumerate() {
            if bad.contains(&index) {
                continue;
            }
            let Ok(declared) = DeclaredCompany::deserialize(item) else {
                continue;
            };
            let pointer = format!("/companies/{index}");
            let item_span = self.span(&pointer);
            let span = self
                .spans
                .nearest(&format!("{pointer}/{}", company::DOMAIN_FIELD))
                .map_or(item_span.clone(), |s| s.value.clone());
            push_domain_problem(&declared.domain, self.source, span.clone(), problems);
            let (line, column) = self.source.line_col(item_span.start);
            companies.push(LoadedCompany {
                declaration: CompanyDeclaration {
                    source: SourceLocation {
                        file: self.found.shown_path.clone(),
                        line,
                        column,
                    },
                    domain: declared.domain,
                    name: declared.name,
                    project_path: self.found.relative.clone(),
                },
                source: self.source.clone(),
                span,
            });
        }
        companies
    }

    /// The value of `people[index]`: refused by the schema, or an entry.
    pub(super) fn person(&self, index: usize, value: Value, items: &mut Items) {
        let pointer = format!("/people/{index}");
        let refused = Schema::person().check_at(&value, &pointer, self.spans, self.source);
        if !refused.is_empty() {
            items.refused.extend(refused.into_iter().map(|(_, p)| p));
            return;
        }
        if let Value::Object(item) = value {
            let problems = &mut items.checked;
            check_company_keys(self.spans, Some(&item), self.source, &pointer, problems);
            let Some(loaded) = self.load_entry(index, item, problems) else {
                return;
            };
            items.loaded.push(loaded);
        }
    }

    /// The span of the node at `pointer` or its closest ancestor.
    pub(super) fn span(&self, pointer: &str) -> Range<usize> {
        self.spans.nearest(pointer).map_or(0..0, |s| s.value)
    }

    /// The entry at `people[index]` with the defaults merged under it, and
    /// the checks that need only the entry itself.
    pub(super) fn load_entry(
        &self,
        index: usize,
        item: Map<String, Value>,
        problems: &mut Vec<Problem>,
    ) -> Option<Loaded> {
        let pointer = format!("/people/{index}");
        let own_custom: Vec<(String, Range<usize>)> =
            custom_value_spans(self.spans, Some(&item), &pointer).collect();
        let item_span = self.span(&pointer);
        let person = self.with_defaults(item, &item_span, problems)?;
        let (mut entry, mut fields) = make_entry(person, self.location(item_span.clone()))?;
        entry.project_path = self.found.relative.clone();
        self.locate_values(&mut entry, &fields, &pointer, &item_span, own_custom);
        if !has_name(&fields) {
            problems.push(
                Problem::new(ManifestError::NoName)
                    .at(self.source, item_span.clone())
                    .label("this person"),
            );
        }
        let at = EntryAt {
            spans: self.spans,
            pointer,
            item_span,
        };
        let (match_span, unmatched_default) = self.check_match_value(&entry, &at, problems);
        let emails = self.entry_emails(&fields, &at, problems);
        if self.keep == Keep::Checks {
            // What the checks across entries read: the identity (kept
            // beside the fields) and the custom attribute values, with
            // where each is written (checked against declarations).
            fields.retain(|name, _| name == "customAttributes");
        }
        entry.fields = Fields::new(&fields);
        Some(Loaded {
            entry,
            source: self.source.clone(),
            match_span,
            emails,
            unmatched_default,
        })
    }

    /// The person of `item` with its file's defaults, then zeeg.yaml's,
    /// merged under it.
    fn with_defaults(
        &self,
        item: Map<String, Value>,
        item_span: &Range<usize>,
        problems: &mut Vec<Problem>,
    ) -> Option<DeclaredPerson> {
        let mut merged = item;
        for defaults in [self.file_defaults, self.project_defaults]
            .into_iter()
            .flatten()
        {
            merge_under(&mut merged, defaults);
        }
        // From the owned value, so its strings move instead of being copied.
        match serde_json::from_value::<DeclaredPerson>(Value::Object(merged)) {
            Ok(person) => Some(person),
            Err(e) => {
                // The project defaults were checked against the config schema,
                // so only a mix of valid parts can fail here.
                problems.push(
                    Problem::new(ManifestError::Schema {
                        message: e.to_string(),
                    })
                    .at(self.source, item_span.clone()),
                );
                None
            }
        }
    }

    /// Where a byte offset of this file is, as entries record it.
    pub(super) fn location(&self, span: Range<usize>) -> SourceLocation {
        let (line, column) = self.source.line_col(span.start);
        SourceLocation {
            file: self.found.shown_path.clone(),
            line,
            column,
        }
    }

    /// Records where the entry at `pointer` takes its company link and each
    /// custom attribute value (of those in `fields`) from: itself
    /// (`own_custom`), its file's defaults or zeeg.yaml.
    pub(super) fn locate_values(
        &self,
        entry: &mut Entry,
        fields: &Map<String, Value>,
        pointer: &str,
        item_span: &Range<usize>,
        own_custom: Vec<(String, Range<usize>)>,
    ) {
        let at = |span: Range<usize>| self.location(span);
        if let Some(link) = entry.company.as_mut() {
            link.at = self
                .spans
                .get(&format!("{pointer}/{}", company::LINK_FIELD))
                .or_else(|| self.spans.get("/defaults/company"))
                .map(|span| at(span.value.clone()))
                .or_else(|| self.project_company_at.cloned())
                .unwrap_or_else(|| at(item_span.clone()));
        }
        // Most specific first: the entry's own value, then its file's
        // defaults, then zeeg.yaml's.
        let mut value_at = self.project_defaults_at.clone();
        let from_file = custom_value_spans(self.spans, self.file_defaults, "/defaults");
        value_at.extend(from_file.map(|(slug, span)| (slug, at(span))));
        value_at.extend(own_custom.into_iter().map(|(slug, span)| (slug, at(span))));
        entry.custom_value_at = value_at
            .into_iter()
            .filter(|(slug, _)| {
                fields
                    .get("customAttributes")
                    .is_some_and(|values| values.get(slug).is_some())
            })
            .collect();
    }

    /// An entry needs a value for its matching attribute. Returns where that
    /// value is written (or the entry, when it is absent or inherited), and,
    /// when the value is missing for an attribute the entry inherits, where
    /// the default is (reported once for all such entries by the caller).
    pub(super) fn check_match_value(
        &self,
        entry: &Entry,
        at: &EntryAt,
        problems: &mut Vec<Problem>,
    ) -> (Range<usize>, Option<DefaultAt>) {
        let match_field = entry.matching_attribute.field();
        let match_path = entry.matching_attribute.path();
        let match_span = at
            .span_of(&match_path)
            .unwrap_or_else(|| at.item_span.clone());
        if has_value(&entry.match_value.to_value()) {
            return (match_span, None);
        }
        if at.span_of("/matchingAttribute").is_none() {
            let from_file = self
                .spans
                .get("/defaults/matchingAttribute")
                .map(|span| DefaultAt::File(span.value.clone()));
            let inherited = from_file.or_else(|| {
                self.project_defaults
                    .is_some_and(|d| d.contains_key("matchingAttribute"))
                    .then_some(DefaultAt::Project)
            });
            if inherited.is_some() {
                return (match_span, inherited);
            }
        }
        let field_span = match match_field {
            MatchField::Email => at.span_of("/emails"),
            _ => at.span_of(&match_path),
        };
        let (label_span, label) = match (field_span, at.span_of("/matchingAttribute")) {
            (Some(span), _) => (span, "no value here"),
            (None, Some(span)) => (span, "matched on this attribute"),
            (None, None) => (at.item_span.clone(), "this person"),
        };
        let help = match match_field {
            MatchField::Email => "add `emails: [...]`, or set `matchingAttribute` to an attribute this person has, e.g. `phone_number`".to_string(),
            MatchField::Standard(field) => format!("add `{field}` to this person, or match on another attribute"),
            MatchField::Custom(slug) => format!("add `customAttributes: {{{slug}: ...}}` to this person, or match on another attribute"),
        };
        problems.push(
            Problem::new(ManifestError::NoMatchValue {
                attribute: entry.matching_attribute.to_string(),
            })
            .at(self.source, label_span)
            .label(label)
            .help(help),
        );
        (match_span, None)
    }

    /// The entry's emails, normalised, each with where it is written; an
    /// email listed twice in one entry is reported and kept once.
    pub(super) fn entry_emails(
        &self,
        fields: &Map<String, Value>,
        at: &EntryAt,
        problems: &mut Vec<Problem>,
    ) -> Vec<(String, Range<usize>)> {
        let listed: Vec<&str> = fields
            .get("emails")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut emails: Vec<(String, Range<usize>)> = Vec::with_capacity(listed.len());
        // Index into `emails` by address: linear in the entry's emails (a
        // scan of the list for each was quadratic: 80,000 took 10 s).
        let mut seen: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
        for (k, &email) in listed.iter().enumerate() {
            let normal = normalize_email(email);
            let span = at
                .span_of(&format!("/emails/{k}"))
                .or_else(|| {
                    self.spans
                        .get(&format!("/defaults/emails/{k}"))
                        .map(|s| s.value.clone())
                })
                .unwrap_or_else(|| at.item_span.clone());
            if let Some((_, first)) = seen.get(&normal).map(|&i| &emails[i]) {
                problems.push(
                    Problem::new(ManifestError::DuplicateEmail {
                        email: email.to_string(),
                    })
                    .at(self.source, span.clone())
                    .label("listed again")
                    .also(self.source, first.clone(), "first listed here"),
                );
                continue;
            }
            seen.insert(normal.clone(), emails.len());
            emails.push((normal, span));
        }
        emails
    }
}

/// Where an entry sits in its document, to point diagnostics into it.
pub(super) struct EntryAt<'a> {
    pub(super) spans: &'a Spans,
    /// `/people/N`.
    pub(super) pointer: String,
    pub(super) item_span: Range<usize>,
}

impl EntryAt<'_> {
    /// The span of a value inside the entry, by pointer suffix (`/emails/0`).
    pub(super) fn span_of(&self, suffix: &str) -> Option<Range<usize>> {
        self.spans
            .get(&format!("{}{suffix}", self.pointer))
            .map(|s| s.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{manifest, one_problem};
    use super::*;

    #[test]
    fn an_email_listed_twice_in_one_entry_is_reported_and_kept_once() {
        let file = "people:\n  - firstName: Jane\n    emails:\n      - jane@acme.com\n      \
                    - j@acme.com\n      - JANE@acme.com\n";
        let seen = one_problem(&[("people.yaml", file)]);
        assert_eq!(
            seen.placed(),
            (
                "the email `JANE@acme.com` is listed twice",
                Some("people.yaml:6"),
                Some("people.yaml:4")
            )
        );
    }

    #[test]
    fn an_entry_without_a_name_is_refused_at_the_entry() {
        let file = "people:\n  - jobTitle: CEO\n    emails: [jane@acme.com]\n";
        let seen = one_problem(&[("people.yaml", file)]);
        assert_eq!(
            seen.placed(),
            (
                "this person has neither `firstName` nor `lastName`",
                Some("people.yaml:2"),
                None
            )
        );
    }

    #[test]
    fn a_missing_match_value_says_what_to_add_for_each_kind_of_attribute() {
        let cases = [
            ("", "email", "add `emails: [...]`"),
            (
                "\n    matchingAttribute: job_title",
                "job_title",
                "add `jobTitle` to this person",
            ),
            (
                "\n    matchingAttribute: tier",
                "tier",
                "add `customAttributes: {tier: ...}` to this person",
            ),
        ];
        for (extra, attribute, help) in cases {
            let file = format!("people:\n  - firstName: Jane{extra}\n");
            let seen = one_problem(&[("people.yaml", &file)]);
            assert_eq!(
                seen.message,
                format!("this person has no value for its matching attribute `{attribute}`")
            );
            let found = seen.help.clone().unwrap_or_default();
            assert!(found.starts_with(help), "{found}");
        }
    }

    #[test]
    fn a_custom_value_is_located_where_it_is_most_specifically_written() {
        let manifest = manifest(&[
            (
                "zeeg.yaml",
                "defaults:\n  customAttributes:\n    tier: gold\n    region: eu\n    seats: 1\n",
            ),
            (
                "people.yaml",
                "defaults:\n  customAttributes:\n    region: us\n    seats: 2\npeople:\n  \
                 - firstName: Jane\n    emails: [jane@acme.com]\n    \
                 customAttributes: {seats: 3}\n",
            ),
        ]);
        let entry = &manifest.entries[0];
        let at: Vec<(&str, String, usize)> = entry
            .custom_value_at
            .iter()
            .map(|(slug, at)| {
                let file = at.file.file_name().unwrap().to_string_lossy().into_owned();
                (slug.as_str(), file, at.line)
            })
            .collect();
        assert_eq!(
            at,
            [
                ("region", "people.yaml".to_string(), 3),
                ("seats", "people.yaml".to_string(), 8),
                ("tier", "zeeg.yaml".to_string(), 3),
            ]
        );
        assert_eq!(
            entry.fields.get("customAttributes"),
            Some(json!({"tier": "gold", "region": "us", "seats": 3}))
        );
    }

    #[test]
    fn a_company_link_is_located_at_the_entry_else_at_the_files_default() {
        let manifest = manifest(&[(
            "people.yaml",
            "defaults:\n  company: acme.com\npeople:\n  \
             - firstName: Jane\n    emails: [jane@acme.com]\n  \
             - firstName: Max\n    emails: [max@acme.com]\n    company: globex.com\n",
        )]);
        let links: Vec<(Option<&str>, usize)> = manifest
            .entries
            .iter()
            .map(|entry| {
                let link = entry.company.as_deref().unwrap();
                (link.domain.as_deref(), link.at.line)
            })
            .collect();
        assert_eq!(links, [(Some("acme.com"), 2), (Some("globex.com"), 8)]);
    }

    #[test]
    fn checking_keeps_the_identity_and_custom_values_only() {
        let dir = super::super::testing::project(&[(
            "people.yaml",
            "people:\n  - firstName: Jane\n    jobTitle: CEO\n    emails: [jane@acme.com]\n    \
             customAttributes: {tier: gold}\n",
        )]);
        let checked = check(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!((checked.people, checked.files), (1, 1));
        let manifest = load_keeping(&[dir.path().to_path_buf()], Keep::Checks).unwrap();
        let entry = &manifest.entries[0];
        assert_eq!(entry.match_value, json!("jane@acme.com"));
        let kept: Vec<String> = entry.fields.map().keys().cloned().collect();
        assert_eq!(kept, ["customAttributes"]);
    }
}
