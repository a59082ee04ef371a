//! `zeeg.yaml`: the settings that apply to every people file, and its globs.

use super::*;

/// The settings of the zeeg.yaml at `path` alone, checked as [`load`]
/// checks them: for the commands that read no people files.
pub fn read_config(path: &Path) -> Result<Config, Diagnostics> {
    let mut problems = Vec::new();
    let settings = load_config(path, &mut problems);
    if problems.is_empty() {
        return Ok(settings.config);
    }
    let mut diagnostics = Diagnostics { problems };
    diagnostics.sort();
    Err(diagnostics)
}

pub(super) fn load_config(path: &Path, problems: &mut Vec<Problem>) -> Settings {
    let Some((source, doc, config)) = parse_config(path, problems) else {
        return Settings::default();
    };
    let filters = Filters {
        include: glob_set(&doc, &source, "include", &config.include, problems),
        exclude: glob_set(&doc, &source, "exclude", &config.exclude, problems),
    };
    let defaults = doc
        .value
        .get("defaults")
        .and_then(Value::as_object)
        .cloned();
    let relative = discover::shown(path);
    let shown_path: std::sync::Arc<Path> = relative.as_path().into();
    let defaults_mapping = doc.value.get("defaults").and_then(Value::as_object);
    let custom_defaults_at = custom_value_spans(&doc.spans, defaults_mapping, "/defaults")
        .map(|(slug, span)| {
            let (line, column) = source.line_col(span.start);
            let at = SourceLocation {
                file: shown_path.clone(),
                line,
                column,
            };
            (slug, at)
        })
        .collect();
    let matching_default_at = doc
        .spans
        .get("/defaults/matchingAttribute")
        .map(|span| (source.clone(), span.value.clone()));
    check_company_keys(&doc.spans, defaults_mapping, &source, "/defaults", problems);
    let company_default_at = doc.spans.get("/defaults/company").map(|span| {
        let (line, column) = source.line_col(span.value.start);
        SourceLocation {
            file: shown_path.clone(),
            line,
            column,
        }
    });
    let attributes = load_attributes(&doc, &source, &relative, problems);
    Settings {
        config,
        defaults,
        custom_defaults_at,
        matching_default_at,
        company_default_at,
        filters,
        attributes,
    }
}

/// zeeg.yaml read, parsed and checked against its schema: its text, its
/// document and its settings; `None` after adding what is wrong to
/// `problems`.
fn parse_config(
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Option<(SourceText, yaml::Document, Config)> {
    let (source, _) = read_source(path, shown_name(path), problems)?;
    let doc = match yaml::parse(source.text()) {
        Ok(doc) => doc,
        Err(errors) => {
            problems.extend(errors.into_iter().map(|e| yaml_problem(&source, e)));
            return None;
        }
    };
    let schema = Schema::config();
    let errors = schema.check(&doc, &source);
    if !errors.is_empty() {
        problems.extend(errors.into_iter().map(|(_, p)| p));
        return None;
    }
    match Config::deserialize(&doc.value) {
        Ok(config) => Some((source, doc, config)),
        Err(e) => {
            problems.push(
                Problem::new(ManifestError::Schema {
                    message: e.to_string(),
                })
                .at(&source, 0..0),
            );
            None
        }
    }
}

/// The globs of zeeg.yaml's `key` (`include`, `exclude`), none when the list
/// is empty; each glob that does not parse is a problem at its line.
pub(super) fn glob_set(
    doc: &yaml::Document,
    source: &SourceText,
    key: &str,
    list: &[String],
    problems: &mut Vec<Problem>,
) -> Option<GlobSet> {
    if list.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for (i, glob) in list.iter().enumerate() {
        match Glob::new(glob) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(source_error) => {
                let span = doc
                    .span(&format!("/{key}/{i}"))
                    .map_or(0..0, |s| s.value.clone());
                problems.push(
                    Problem::new(ManifestError::BadGlob {
                        glob: glob.clone(),
                        source: source_error,
                    })
                    .at(source, span)
                    .label("this glob"),
                );
            }
        }
    }
    builder.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::manifest::CONFIG_FILE);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn read_config_gives_the_settings() {
        let (_dir, path) = config_file("apiUrl: http://127.0.0.1:9/v2\n");
        let config = read_config(&path).unwrap();
        assert_eq!(config.api_url.as_deref(), Some("http://127.0.0.1:9/v2"));
    }

    #[test]
    fn read_config_refuses_what_load_refuses() {
        let (_dir, path) = config_file("apiUrl: http://127.0.0.1:9/v2\napiURL: typo\n");
        let diagnostics = read_config(&path).unwrap_err();
        assert_eq!(diagnostics.problems.len(), 1);
        let problem = &diagnostics.problems[0];
        assert!(problem.to_string().contains("apiURL"), "{problem}");
    }
}
