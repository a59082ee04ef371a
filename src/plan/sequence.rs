//! The sequence every plan runs, `zeeg plan` and `zeeg apply` alike: read
//! the objects' schemas and the totals, plan the declared attributes, check
//! the people's custom values against the schema those attributes make,
//! read the people and companies (the people matched page by page, see
//! [`live::Collector`]), refuse `companyId`s that name no company; then
//! plan attributes, companies and people from what was read.
//!
//! Reading takes any [`LiveSource`], so the sequence users run is the one a
//! test can count the requests of.

use super::attributes::{self, AttributePlan, LiveSchemas};
use std::sync::OnceLock;

use super::live::{self, Collector, LiveCompanies, LiveSource, LiveState, ReadStrategy};
use super::{CompanyProblem, Plan, PlanError, PlanOptions, Warning, WarningCode};
use crate::api::object::ObjectSlug;
use crate::manifest::{Config, Manifest};

/// What the CRM holds of what a manifest needs: what its plan is computed
/// from and borrows.
#[derive(Debug, Clone)]
pub struct Live {
    /// The declared attributes planned against the objects' schemas, with
    /// the live records holding each removed option counted.
    pub attributes: AttributePlan,
    pub people: LiveState,
    pub companies: LiveCompanies,
}

/// The settings of zeeg.yaml a plan depends on.
fn options_of(config: &Config) -> PlanOptions {
    PlanOptions {
        max_update_percent: f64::from(config.apply.max_update_percent),
    }
}

/// Reads what the plan of `manifest` needs, refusing before anything is
/// shown what apply could not do: attributes the API cannot make as
/// declared, custom values their attributes refuse, unknown company ids.
pub async fn read_for(source: &impl LiveSource, manifest: &Manifest) -> Result<Live, PlanError> {
    let declares = !manifest.attributes.is_empty();
    let companies_schema = async {
        if declares {
            let schema = source.object_schema_of(ObjectSlug::Companies).await;
            schema.map(Some)
        } else {
            Ok(None)
        }
    };
    // All three to the end, then the first failure in this order: which
    // answer comes first must not decide what a refused token is told.
    let (people_schema, companies_schema, total) = tokio::join!(
        source.object_schema_of(ObjectSlug::People),
        companies_schema,
        source.total()
    );
    let total = total.map_err(live::LiveError::from)?;
    let people_schema = people_schema.map_err(live::LiveError::from)?;
    let companies_schema = companies_schema.map_err(live::LiveError::from)?;
    let schemas = LiveSchemas {
        people: &people_schema,
        companies: companies_schema.as_ref(),
    };
    let mut planned = attributes::plan_attributes(&manifest.attributes, schemas)
        .map_err(|problems| PlanError::Attributes { problems })?;
    let effective =
        attributes::effective_schema(&people_schema, &manifest.attributes, ObjectSlug::People);
    live::check_custom_attributes(&manifest.entries, &effective)?;
    let (people, companies) = read_records(source, manifest, total, &mut planned).await?;
    let values = companies.companies.iter().map(|c| &c.custom_attributes);
    planned.count_holders(ObjectSlug::Companies, values);
    check_company_ids(source, manifest, &people, &companies).await?;
    Ok(Live {
        attributes: planned,
        people,
        companies,
    })
}

/// The people and the companies, read alongside each other; the people
/// are matched as their pages arrive, against the plan of the companies
/// once it is made (the pages before it wait). The people holding an
/// option `planned` removes are counted into it.
async fn read_records(
    source: &impl LiveSource,
    manifest: &Manifest,
    total: u64,
    planned: &mut AttributePlan,
) -> Result<(LiveState, LiveCompanies), live::LiveError> {
    let every_company = planned.removes_options_of(ObjectSlug::Companies);
    let company_plan = OnceLock::new();
    let companies = async {
        let companies = read_companies(source, manifest, every_company).await?;
        // A plan that fails here fails again, the same way, when planned.
        let entries = &manifest.entries;
        let planned =
            super::companies::plan_companies(&manifest.companies, entries, &companies.companies);
        // Set once, here: `set` cannot find it set.
        let _ = company_plan.set(planned.unwrap_or_default());
        Ok::<_, live::LiveError>(companies)
    };
    let mut collector = Collector::new(&manifest.entries, &company_plan, planned);
    let people = read_people(source, manifest, total, &mut collector);
    let (strategy, companies) = tokio::try_join!(people, companies)?;
    Ok((collector.finish(total, strategy), companies))
}

/// The live companies the plan needs, all of them when it removes an
/// option of the companies' attributes (`every`: it counts who holds it).
async fn read_companies(
    source: &impl LiveSource,
    manifest: &Manifest,
    every: bool,
) -> Result<LiveCompanies, live::LiveError> {
    let domains = super::companies::domains_needed(&manifest.companies, &manifest.entries);
    Ok(live::read_live_companies(source, &domains, every).await?)
}

/// The live people, all of them when the plan removes an option of the
/// people's attributes (`collector` counts who holds it). Returns how they
/// were read.
async fn read_people(
    source: &impl LiveSource,
    manifest: &Manifest,
    total: u64,
    collector: &mut Collector<'_>,
) -> Result<ReadStrategy, live::LiveError> {
    let strategy = if collector.counts_holders() {
        ReadStrategy::List
    } else {
        live::choose_strategy(&manifest.entries, total)
    };
    Ok(live::read_people(source, &manifest.entries, total, strategy, collector).await?)
}

/// A `companyId` that names no company would be refused at apply: an error
/// at its entry now.
async fn check_company_ids(
    source: &impl LiveSource,
    manifest: &Manifest,
    people: &LiveState,
    companies: &LiveCompanies,
) -> Result<(), PlanError> {
    let unknown = live::unknown_company_ids(
        source,
        &manifest.entries,
        &people.linked_companies,
        &companies.companies,
    )
    .await
    .map_err(live::LiveError::from)?;
    if unknown.is_empty() {
        return Ok(());
    }
    let problems = unknown
        .into_iter()
        .map(|(id, at)| CompanyProblem::UnknownId { at, id })
        .collect();
    Err(PlanError::Companies { problems })
}

/// The plan of `manifest` against `live` (read by [`read_for`]), borrowing
/// both: attributes, then companies and people.
pub fn plan_against<'a>(manifest: &'a Manifest, live: &'a Live) -> Result<Plan<'a>, PlanError> {
    let attributes = live.attributes.clone();
    let mut plan = super::compute_from_live(
        &manifest.entries,
        &manifest.companies,
        &live.people,
        &live.companies.companies,
        &options_of(&manifest.config),
    )?;
    plan.warnings
        .splice(0..0, attributes.destructive().map(destructive_warning));
    plan.attributes = attributes;
    Ok(plan)
}

/// What apply says of a change that clears values records hold.
fn destructive_warning(change: &attributes::AttributeChange) -> Warning {
    let removed: Vec<String> = change
        .removed_options()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(value, n)| {
            let records = crate::plural::counted(n as usize, "record", "records");
            format!("`{value}` (held by {records})")
        })
        .collect();
    let options = crate::plural::agreeing(removed.len(), "option", "options");
    Warning {
        code: WarningCode::Destructive,
        message: format!(
            "removing the {options} {} of the {} attribute `{}` ({}) clears the value on those records: apply refuses this unless run with --allow-destructive.",
            removed.join(", "),
            change.object,
            change.key,
            change.source,
        ),
    }
}
