//! How the report names an entry from the index its job carried: where it
//! was written and its label, looked up in the plan when printed. A result
//! then keeps neither (see [`super::results`]): for a big file they were
//! most of what the report held.

use crate::manifest::SourceLocation;
use crate::plan::Plan;
use crate::plan::render::{attribute_label, company_label, identity_label};

/// Which of the plan's lists an entry's index points into: the phase of
/// apply that sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `plan.attributes.changes`.
    Attributes,
    /// `plan.companies.changes`.
    Companies,
    /// `plan.changes`.
    People,
}

/// Where each entry of a phase was written, and how it is named to the
/// user, by its index. `None` for an index the plan does not hold (jobs
/// are made from the plan, so never in a run).
pub trait Names {
    fn source(&self, phase: Phase, entry: usize) -> Option<&SourceLocation>;
    fn label(&self, phase: Phase, entry: usize) -> Option<String>;
}

/// The plan's entries, named as apply's jobs name them (contact data
/// masked when `redact`).
#[derive(Clone, Copy)]
pub struct PlanNames<'p> {
    pub plan: &'p Plan<'p>,
    pub redact: bool,
}

impl Names for PlanNames<'_> {
    fn source(&self, phase: Phase, entry: usize) -> Option<&SourceLocation> {
        match phase {
            Phase::Attributes => self.plan.attributes.changes.get(entry).map(|c| &c.source),
            Phase::Companies => self.plan.companies.changes.get(entry).map(|c| &c.source),
            Phase::People => self.plan.changes.get(entry).map(|c| c.source()),
        }
    }

    fn label(&self, phase: Phase, entry: usize) -> Option<String> {
        match phase {
            Phase::Attributes => self.plan.attributes.changes.get(entry).map(attribute_label),
            Phase::Companies => self.plan.companies.changes.get(entry).map(company_label),
            Phase::People => {
                let change = self.plan.changes.get(entry)?;
                Some(identity_label(change, self.redact))
            }
        }
    }
}
