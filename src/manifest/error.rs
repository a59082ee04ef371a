//! What can be wrong with people files: each problem's message, code and
//! general help. Where it is, and the hint for that place, is
//! [`super::diagnostic::Problem`]'s.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

/// Everything that can be wrong with the people files of a project.
#[derive(Debug, Error, Diagnostic)]
pub enum ManifestError {
    /// A path given on the command line does not exist.
    #[error("{path} does not exist")]
    #[diagnostic(
        code(zeeg::path_not_found),
        help("give a people file or a folder holding people files")
    )]
    PathNotFound { path: PathBuf },

    /// A file could not be read.
    #[error("could not read {path}")]
    #[diagnostic(code(zeeg::io), help("check that the file exists and is readable"))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A people file that resolves (through a symbolic link, or as named)
    /// to a file outside the project root: refused unread.
    #[error(
        "{} leads outside the project, to {}: not read",
        path.display(),
        target.display()
    )]
    #[diagnostic(
        code(zeeg::outside_root),
        help(
            "zeeg reads people files only inside the project ({}), so that a link in a pull \
             request cannot make it print a file from elsewhere; copy the file into the project \
             instead of linking to it",
            root.display()
        )
    )]
    OutsideRoot {
        path: PathBuf,
        target: PathBuf,
        root: PathBuf,
    },

    /// A folder could not be listed.
    #[error("could not list the files under {path}")]
    #[diagnostic(
        code(zeeg::io),
        help(
            "check that the folder exists and is readable, and that no symbolic link under it \
             is broken or points back to a folder above it"
        )
    )]
    Walk {
        path: PathBuf,
        #[source]
        source: walkdir::Error,
    },

    /// No YAML file was found under the given paths.
    #[error("no people files found")]
    #[diagnostic(
        code(zeeg::no_files),
        help(
            "zeeg reads every *.yaml and *.yml file under the paths given (default: the current folder); check the path and the `include`/`exclude` globs of zeeg.yaml"
        )
    )]
    NoFiles,

    /// A file is not UTF-8.
    #[error("this file is not valid UTF-8")]
    #[diagnostic(
        code(zeeg::yaml::encoding),
        help("save the file as UTF-8 (people files may not use Latin-1 or UTF-16)")
    )]
    NotUtf8,

    /// The YAML parser rejected the text.
    #[error("invalid YAML: {message}")]
    #[diagnostic(
        code(zeeg::yaml::syntax),
        help("check the indentation, colons and closing quotes at or just before this point")
    )]
    Syntax { message: String },

    /// A tab in indentation.
    #[error("tab character in indentation")]
    #[diagnostic(
        code(zeeg::yaml::tab),
        help("YAML indents with spaces only; replace the tab with spaces")
    )]
    Tab,

    /// A character YAML does not allow in a file, such as NUL or ESC.
    #[error("control character {code} in the file")]
    #[diagnostic(
        code(zeeg::yaml::control_character),
        help(
            "YAML files may not hold control characters: delete it, or if the value needs it, \
             write it as an escape inside double quotes, e.g. \"\\e\" or \"\\x1b\""
        )
    )]
    ControlCharacter { code: String },

    /// A key appears twice in one mapping.
    #[error("duplicate key `{key}`")]
    #[diagnostic(
        code(zeeg::yaml::duplicate_key),
        help("a key may appear once per mapping; keep one of the two")
    )]
    DuplicateKey { key: String },

    /// More than one YAML document in a file.
    #[error("more than one YAML document in this file")]
    #[diagnostic(
        code(zeeg::yaml::documents),
        help(
            "a people file holds one document: remove the `---` line, or split it into two files"
        )
    )]
    SeveralDocuments,

    /// The file holds nothing.
    #[error("this file is empty")]
    #[diagnostic(
        code(zeeg::yaml::empty),
        help("add a `people:` list, delete the file, or list it under `exclude` in zeeg.yaml")
    )]
    Empty,

    /// An alias (`*name`).
    #[error("YAML aliases are not supported")]
    #[diagnostic(
        code(zeeg::yaml::alias),
        help("write the value out in full, or use `defaults:` for values shared by a file")
    )]
    Alias,

    /// A merge key (`<<`).
    #[error("YAML merge keys (`<<`) are not supported")]
    #[diagnostic(
        code(zeeg::yaml::merge_key),
        help("use `defaults:` for values shared by every person of a file")
    )]
    MergeKey,

    /// A custom tag (`!thing`).
    #[error("YAML tag `{tag}` is not supported")]
    #[diagnostic(code(zeeg::yaml::tag), help("remove the tag and write a plain value"))]
    Tag { tag: String },

    /// A value that does not fit its core-schema tag.
    #[error("`{value}` does not fit its tag")]
    #[diagnostic(code(zeeg::yaml::tag), help("remove the tag or fix the value"))]
    BadTaggedValue { value: String },

    /// Lists and mappings nested too deep.
    #[error(
        "lists and mappings nest more than {} levels deep here",
        super::yaml::MAX_NESTING
    )]
    #[diagnostic(
        code(zeeg::yaml::too_deep),
        help("a people file needs a few levels; look for a run of `- ` or `[` that does not end")
    )]
    TooDeep,

    /// A mapping or list used as a key.
    #[error("a key must be plain text")]
    #[diagnostic(code(zeeg::yaml::complex_key), help("write the key as a plain word"))]
    ComplexKey,

    /// `.inf` or `.nan`.
    #[error("infinite or not-a-number values are not supported")]
    #[diagnostic(
        code(zeeg::yaml::number),
        help("quote the value if it is text, e.g. \".inf\"")
    )]
    NotFinite,

    /// An unquoted number that would reach the CRM changed.
    #[error("`{written}` would be sent as the number {read}")]
    #[diagnostic(code(zeeg::yaml::changed_number))]
    ChangedNumber {
        written: String,
        read: String,
        #[help]
        help: String,
    },

    /// A YAML file that is not a people file.
    #[error("not a people file: no top-level `people`, `companies` or `attributes`")]
    #[diagnostic(
        code(zeeg::not_people_file),
        help(
            "{did_you_mean}a people file holds `people:`, `companies:` or `attributes:`; if this YAML file is something else, list it under `exclude` in zeeg.yaml, e.g. `exclude: [\"{rel}\"]`"
        )
    )]
    NotPeopleFile { rel: String, did_you_mean: String },

    /// A key the model does not know.
    #[error("unknown key `{key}` in {context}")]
    #[diagnostic(code(zeeg::schema::unknown_key))]
    UnknownKey { key: String, context: String },

    /// A value of the wrong type.
    #[error("{field} must be {expected}, not {found}")]
    #[diagnostic(code(zeeg::schema::wrong_type))]
    WrongType {
        field: String,
        expected: String,
        found: String,
    },

    /// A value that is not a valid email, URL or UUID.
    #[error("{what}")]
    #[diagnostic(code(zeeg::schema::format))]
    Format { what: String },

    /// `people` holds nobody.
    #[error("`people` is empty")]
    #[diagnostic(
        code(zeeg::schema::empty_people),
        help("add at least one person (`- firstName: …`), or delete the file")
    )]
    EmptyPeople,

    /// A slug (matching attribute or custom attribute) that is not snake_case.
    #[error("`{slug}` is not a snake_case attribute slug")]
    #[diagnostic(code(zeeg::schema::slug))]
    BadSlug { slug: String },

    /// Any other schema violation.
    #[error("{message}")]
    #[diagnostic(code(zeeg::schema::invalid))]
    Schema { message: String },

    /// An entry without first and last name.
    #[error("this person has neither `firstName` nor `lastName`")]
    #[diagnostic(
        code(zeeg::person::no_name),
        help("add `firstName` or `lastName`: the CRM needs one of them to create a person")
    )]
    NoName,

    /// A custom value that the attribute the files declare refuses.
    #[error("{refusal}")]
    #[diagnostic(code(zeeg::person::declared_value), help("{help}"))]
    DeclaredValue {
        refusal: crate::api::ValueRefusal,
        help: String,
    },

    /// An entry without a value for its matching attribute.
    #[error("this person has no value for its matching attribute `{attribute}`")]
    #[diagnostic(code(zeeg::person::no_match_value))]
    NoMatchValue { attribute: String },

    /// A default `matchingAttribute` that entries inherit without a value.
    #[error(
        "{entries} {} on `{attribute}` by default but {} no value for it",
        crate::plural::agreeing(*.entries, "entry matches", "entries match"),
        crate::plural::agreeing(*.entries, "has", "have")
    )]
    #[diagnostic(code(zeeg::config::matching_attribute))]
    DefaultWithoutValues { attribute: String, entries: usize },

    /// Two entries with the same identity.
    #[error("two people have the same {attribute} `{value}`")]
    #[diagnostic(
        code(zeeg::person::duplicate),
        help("each person may appear once; merge the two entries or correct one of them")
    )]
    DuplicateIdentity { attribute: String, value: String },

    /// Two entries share an email.
    #[error("two people share the email `{email}`")]
    #[diagnostic(
        code(zeeg::person::shared_email),
        help(
            "the CRM matches people by any of their emails: an email may belong to one person only"
        )
    )]
    SharedEmail { email: String },

    /// One entry lists an email twice.
    #[error("the email `{email}` is listed twice")]
    #[diagnostic(
        code(zeeg::person::duplicate_email),
        help("remove one of the two (emails are compared ignoring case)")
    )]
    DuplicateEmail { email: String },

    /// An entry (or defaults) linking its company both by domain and by id.
    #[error("`company` and `companyId` both link this person to a company")]
    #[diagnostic(
        code(zeeg::person::company_twice),
        help("keep one: `company: DOMAIN` (readable in review) or `companyId: UUID`")
    )]
    CompanyTwice,

    /// A company domain that is not a host name.
    #[error("`{domain}` is not a company domain: {reason}")]
    #[diagnostic(
        code(zeeg::company::domain),
        help("write the company's domain as a host name, e.g. `acme.com`")
    )]
    BadDomain { domain: String, reason: String },

    /// One domain declared twice.
    #[error("the company `{domain}` is declared twice")]
    #[diagnostic(
        code(zeeg::company::duplicate),
        help(
            "declare each company once (domains are compared ignoring case); remove one of the two"
        )
    )]
    DuplicateCompany { domain: String },

    /// A declared attribute of a type a declaration may not name.
    #[error("`{kind}` is not a type zeeg declares")]
    #[diagnostic(code(zeeg::attribute::kind))]
    AttributeType {
        kind: String,
        #[help]
        help: String,
    },

    /// A declared attribute key that is not snake_case.
    #[error("the attribute key `{key}` is not snake_case")]
    #[diagnostic(code(zeeg::attribute::key))]
    AttributeKeyForm {
        key: String,
        #[help]
        help: String,
    },

    /// Options declared for a type that has none.
    #[error("a `{kind}` attribute has no options")]
    #[diagnostic(
        code(zeeg::attribute::options),
        help(
            "only select, multiselect and status attributes have options: remove `options`, or change the type"
        )
    )]
    AttributeOptionsNotAllowed { kind: String },

    /// `unique` declared for a type the API does not take it for.
    #[error("a `{kind}` attribute cannot be unique")]
    #[diagnostic(
        code(zeeg::attribute::unique),
        help("`unique` is for text, number and phone_number attributes only: remove it")
    )]
    AttributeUniqueNotAllowed { kind: String },

    /// One option twice in a declaration (ignoring case).
    #[error("the option `{value}` is declared twice")]
    #[diagnostic(
        code(zeeg::attribute::duplicate_option),
        help(
            "options are compared ignoring case, as the CRM shows them side by side: remove one of the two"
        )
    )]
    DuplicateAttributeOption { value: String },

    /// One object and key declared twice, in one file or across files.
    #[error("the {object} attribute `{key}` is declared twice")]
    #[diagnostic(
        code(zeeg::attribute::duplicate),
        help(
            "declare each attribute once, in zeeg.yaml or in one people file: remove one of the two"
        )
    )]
    DuplicateAttribute { object: String, key: String },

    /// An `include`/`exclude` glob of zeeg.yaml that does not parse.
    #[error("invalid glob `{glob}`")]
    #[diagnostic(
        code(zeeg::config::glob),
        help("see https://docs.rs/globset for the syntax")
    )]
    BadGlob {
        glob: String,
        #[source]
        source: globset::Error,
    },
}

impl ManifestError {
    /// The advice for a phone number YAML read as a number, wherever that
    /// is caught.
    pub(crate) fn unquoted_phone_help(written: &str) -> String {
        format!(
            "quote the phone number: YAML reads an unquoted `+49…` as a number, e.g. \
             `phoneNumber: \"{written}\"`"
        )
    }

    /// What to write instead of a number that would not be sent as
    /// written; for `phoneNumber`, the usual cause, said plainly.
    pub(crate) fn changed_number_help(written: &str, key: Option<&str>) -> String {
        let example = match key {
            Some(key) => format!("`{key}: \"{written}\"`"),
            None => format!("`\"{written}\"`"),
        };
        if key == Some("phoneNumber") && written.starts_with('+') {
            return ManifestError::unquoted_phone_help(written);
        }
        format!(
            "quote it if it is text (an id, a zip code): {example}; zeeg sends a number exactly \
             as written, so write it as it would be sent: plain decimal without `+`, leading \
             zeros, extra trailing zeros or an exponent, within 2^53 (9007199254740992) so no \
             digit is lost"
        )
    }
}
