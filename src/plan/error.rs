//! What can go wrong while computing a plan from entries and live people.

use miette::Diagnostic;
use thiserror::Error;

use crate::manifest::SourceLocation;

/// A plan could not be computed.
#[derive(Debug, Error, Diagnostic)]
pub enum PlanError {
    /// Some entries do not match live people one to one; every problem is
    /// listed as a related diagnostic.
    #[error("{} matching problem(s) between the people files and the CRM", .problems.len())]
    #[diagnostic(
        code(zeeg::plan::ambiguous),
        help(
            "each entry must match at most one live person, and each live person at most one entry; nothing was planned"
        )
    )]
    Ambiguous {
        #[related]
        problems: Vec<MatchProblem>,
    },

    /// Companies the people files need cannot be planned; every problem is
    /// listed as a related diagnostic.
    // Neutral about where: a problem may be in a people file, in zeeg.yaml's
    // defaults, or an id the CRM does not know.
    #[error("{} found", crate::plural::counted(.problems.len(), "company problem", "company problems"))]
    #[diagnostic(
        code(zeeg::plan::companies),
        help("nothing was planned; every problem is listed below: fix them and plan again")
    )]
    Companies {
        #[related]
        problems: Vec<CompanyProblem>,
    },

    /// Declared attributes the API cannot create or change as declared;
    /// every problem is listed as a related diagnostic.
    #[error("{} found", crate::plural::counted(.problems.len(), "attribute problem", "attribute problems"))]
    #[diagnostic(
        code(zeeg::plan::attributes),
        help("nothing was planned; every problem is listed below: fix them and plan again")
    )]
    Attributes {
        #[related]
        problems: Vec<AttributeProblem>,
    },

    /// Reading the CRM failed, or the people files hold custom values it
    /// would refuse.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Live(#[from] super::live::LiveError),

    /// Entries whose upsert the API would refuse as too large (413).
    #[error("{} too large for the API", crate::plural::counted(.problems.len(), "entry", "entries"))]
    #[diagnostic(
        code(zeeg::plan::too_large),
        help("nothing was planned; every entry is listed below: shorten them and plan again")
    )]
    TooLarge {
        #[related]
        problems: Vec<OversizedEntry>,
    },
}

/// An entry whose request body would be over the API's limit.
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
#[error(
    "{at}: its upsert would send {size} bytes, over the {} the API takes (413 Payload Too Large)",
    crate::files::size(crate::api::assumed::MAX_REQUEST_BYTES as u64)
)]
#[diagnostic(
    code(zeeg::plan::entry_too_large),
    help("shorten its longest values (a description, a custom attribute's text)")
)]
pub struct OversizedEntry {
    pub at: SourceLocation,
    pub size: usize,
}

/// A declared attribute that the API cannot create or change as declared.
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum AttributeProblem {
    /// The server would give the new attribute another key than declared.
    #[error("{at}: the {object} attribute `{key}` would be created as `{derived}`{}", taken_note(.taken_by))]
    #[diagnostic(
        code(zeeg::plan::attribute_key),
        help("{}", wrong_key_help(.key, .label, .derived, .taken_by))
    )]
    WrongKey {
        at: SourceLocation,
        object: crate::api::object::ObjectSlug,
        key: String,
        label: String,
        /// The key the server would derive now.
        derived: String,
        /// Which key is taken and by what, when that is why.
        taken_by: Option<String>,
    },

    /// A live attribute's type or `unique` differs: the API changes neither.
    #[error(
        "{at}: the {object} attribute `{key}` is {what} {before} in Zeeg, declared {after}: the API cannot change its {what}"
    )]
    #[diagnostic(
        code(zeeg::plan::attribute_unchangeable),
        help(
            "archive the live attribute (`archived: true`) and declare a new one with another label, or declare `{key}` as it is"
        )
    )]
    CannotChange {
        at: SourceLocation,
        object: crate::api::object::ObjectSlug,
        key: String,
        /// `type` or `unique`.
        what: &'static str,
        before: String,
        after: String,
    },

    /// A standard attribute declared: its definition is Zeeg's.
    #[error("{at}: `{key}` is a standard attribute of {object}, not a custom one")]
    #[diagnostic(
        code(zeeg::plan::standard_attribute),
        help(
            "remove this declaration: standard attributes cannot be changed, and their values are set in the people files' own fields"
        )
    )]
    Standard {
        at: SourceLocation,
        object: crate::api::object::ObjectSlug,
        key: String,
    },

    /// A type zeeg cannot create an attribute of.
    #[error("{at}: `{kind}` is not an attribute type zeeg can create")]
    #[diagnostic(
        code(zeeg::plan::attribute_type),
        help(
            "use one of text, number, phone_number, date, datetime, checkbox, select, multiselect, status, rating"
        )
    )]
    UnknownType { at: SourceLocation, kind: String },
}

impl AttributeProblem {
    /// Where the declaration is written.
    pub fn at(&self) -> &SourceLocation {
        match self {
            AttributeProblem::WrongKey { at, .. }
            | AttributeProblem::CannotChange { at, .. }
            | AttributeProblem::Standard { at, .. }
            | AttributeProblem::UnknownType { at, .. } => at,
        }
    }
}

fn taken_note(taken_by: &Option<String>) -> String {
    match taken_by {
        Some(note) => format!(" ({note})"),
        None => String::new(),
    }
}

fn wrong_key_help(key: &str, label: &str, derived: &str, taken_by: &Option<String>) -> String {
    match taken_by {
        Some(_) => format!(
            "the server derives the key from the label {label:?} and adds `_2` when that is taken: choose a label whose key is free and declare that key, or, to manage the live attribute, declare it under its own key"
        ),
        None => format!(
            "the server derives the key from the label {label:?}: write `key: {derived}`, or change the label to one whose key is `{key}`"
        ),
    }
}

/// A company the people files need that zeeg cannot plan.
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum CompanyProblem {
    /// A person references a domain that is neither declared nor live.
    #[error("{at}: the company `{domain}` is neither declared in the people files nor in the CRM")]
    #[diagnostic(
        code(zeeg::plan::unknown_company),
        help(
            "declare it in a people file, e.g.\n  companies:\n    - domain: {domain}\n      name: …\nor correct the domain"
        )
    )]
    UnknownDomain { at: SourceLocation, domain: String },

    /// A person's `companyId` names no company in the CRM: apply's upsert
    /// would be refused.
    #[error("{at}: the `companyId` {id} names no company in the CRM")]
    #[diagnostic(
        code(zeeg::plan::unknown_company_id),
        help(
            "link the person by domain instead (`company: acme.com`, declared under `companies` if it is not in the CRM yet), or correct the id"
        )
    )]
    UnknownId { at: SourceLocation, id: String },

    /// A declared company that must be created has no name.
    #[error("{at}: the company `{domain}` is not in the CRM and has no `name` to create it with")]
    #[diagnostic(
        code(zeeg::plan::company_without_name),
        help("add `name: …` to this company: the CRM needs a name to create one")
    )]
    NoName { at: SourceLocation, domain: String },
}

/// One way entries and live people fail to pair up. Messages name places and
/// live ids, never contact data.
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum MatchProblem {
    /// The entry's identity matches more than one live person.
    #[error("{at}: the entry matches {} live people on `{attribute}`: {}", .live_ids.len(), .live_ids.join(", "))]
    #[diagnostic(
        code(zeeg::plan::entry_matches_several),
        help(
            "the API would update only the oldest of them; merge the duplicates in the CRM, or match this entry on an attribute whose value is unique"
        )
    )]
    EntryMatchesSeveral {
        at: SourceLocation,
        attribute: String,
        live_ids: Vec<String>,
    },

    /// Several entries match the same live person.
    #[error("entries at {} all match live person {live_id}", join_sources(.sources))]
    #[diagnostic(
        code(zeeg::plan::several_entries_match_one),
        help(
            "a live person can be managed by one entry only: merge these entries, or correct the identity that matches by mistake"
        )
    )]
    SeveralEntriesMatchOne {
        live_id: String,
        sources: Vec<SourceLocation>,
    },

    /// One of the entry's secondary emails already belongs to a live person
    /// other than the one its first email matches. Applying would give two
    /// people the same email, which makes every later match on it ambiguous.
    #[error("{at}: the entry's email #{position} belongs to live person {owner_id}, but the entry {}", describe_match(.matched_id))]
    #[diagnostic(
        code(zeeg::plan::email_of_another_person),
        help(
            "an email can belong to one person only. To change a person's primary email, first list the email the CRM knows first and apply, then reorder; otherwise remove the email from one of the two"
        )
    )]
    EmailOfAnotherPerson {
        at: SourceLocation,
        /// 1-based position of the email in the entry's `emails`.
        position: usize,
        owner_id: String,
        matched_id: Option<String>,
    },
}

fn join_sources(sources: &[SourceLocation]) -> String {
    sources
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_match(matched_id: &Option<String>) -> String {
    match matched_id {
        Some(id) => format!("matches live person {id}"),
        None => "matches nobody and would create a new person".to_string(),
    }
}
