//! The safety limit: an apply that would update a large share of the
//! managed people is more likely a mistake (a bad default, a wrong folder)
//! than an intent, so it is refused unless forced. Creates are not limited.
//!
//! The rule lives with the plan because the plan is the contract: the same
//! [`check`] makes `apply` refuse and makes every plan format warn that it will.

use miette::Diagnostic;
use thiserror::Error;

/// The default share of managed entries one apply may update.
pub const DEFAULT_MAX_UPDATE_PERCENT: f64 = 30.0;
/// Below this many updates the limit never applies.
pub const MIN_UPDATES: usize = 10;

/// The plan updates more than the limit allows.
#[derive(Debug, Error, Diagnostic, PartialEq)]
#[error(
    "refusing to apply: {updates} of {managed} managed entries ({percent:.0}%) would be updated, more than the limit of {limit}%"
)]
#[diagnostic(
    code(zeeg::apply::safety_limit),
    help(
        "Nothing was written. Check the plan with `zeeg plan`; if the updates are intended, pass --force, or raise `apply.maxUpdatePercent` in zeeg.yaml"
    )
)]
pub struct SafetyLimitExceeded {
    pub updates: usize,
    pub managed: usize,
    pub percent: f64,
    pub limit: f64,
}

impl SafetyLimitExceeded {
    /// What a plan says beforehand: apply will refuse, and what to do.
    pub fn warning(&self) -> String {
        let SafetyLimitExceeded {
            updates,
            managed,
            percent,
            limit,
        } = self;
        format!(
            "apply will refuse this plan: it updates {updates} of {managed} managed entries \
             ({percent:.0}%), more than apply.maxUpdatePercent ({limit}%) allows. If the updates \
             are intended, run apply with --force, or raise apply.maxUpdatePercent in zeeg.yaml."
        )
    }
}

/// Refuses when `updates` is more than `max_percent` of `managed` and at
/// least [`MIN_UPDATES`], unless `force`.
pub fn check(
    updates: usize,
    managed: usize,
    max_percent: f64,
    force: bool,
) -> Result<(), SafetyLimitExceeded> {
    if force || updates < MIN_UPDATES || managed == 0 {
        return Ok(());
    }
    let percent = updates as f64 * 100.0 / managed as f64;
    if percent > max_percent {
        return Err(SafetyLimitExceeded {
            updates,
            managed,
            percent,
            limit: max_percent,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_many_updates_over_the_share() {
        let error = check(31, 100, 30.0, false).unwrap_err();
        assert_eq!(error.updates, 31);
        assert!(
            error
                .to_string()
                .contains("31 of 100 managed entries (31%)")
        );
    }

    #[test]
    fn allows_exactly_the_share() {
        assert!(check(30, 100, 30.0, false).is_ok());
    }

    #[test]
    fn few_updates_are_never_limited() {
        assert!(check(9, 9, 30.0, false).is_ok());
        assert!(check(10, 10, 30.0, false).is_err());
    }

    #[test]
    fn force_overrides() {
        assert!(check(100, 100, 30.0, true).is_ok());
    }

    #[test]
    fn the_limit_is_configurable() {
        assert!(check(50, 100, 60.0, false).is_ok());
        assert!(check(50, 100, 40.0, false).is_err());
    }
}
