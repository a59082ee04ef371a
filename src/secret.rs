//! Secrets that are never printed: the API token, and the values of
//! environment variables named like secrets (`GITHUB_TOKEN`,
//! `AWS_SECRET_ACCESS_KEY`, …). Text a server sends and every line of a file
//! a diagnostic quotes have them cut out, so that a people file holding (or
//! linking to) a token file or `/proc/self/environ` cannot print one into a
//! CI log.

use std::ops::Range;

/// What a secret is shown as.
pub const CUT: &str = "[token]";

/// Values shorter than this are not cut: a test's short token would cut
/// ordinary words apart, and real tokens are long.
const MIN_CHARS: usize = 8;

/// Parts of an environment variable's name that say its value is a secret.
const SECRET_NAMES: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "PRIVATE_KEY",
    "API_KEY",
    "ACCESS_KEY",
];

/// The secrets of one run.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// These values (those long enough to be secrets).
    pub fn new<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Secrets {
        let mut values: Vec<String> = values
            .into_iter()
            .map(Into::into)
            .map(|value| value.trim().to_string())
            .filter(|value| value.chars().count() >= MIN_CHARS)
            .collect();
        // Longest first, so a secret holding another is cut whole.
        values.sort_by_key(|value| std::cmp::Reverse(value.len()));
        values.dedup();
        Secrets { values }
    }

    /// The values of this process's environment variables named like
    /// secrets (`ZEEG_API_TOKEN` among them).
    pub fn of_environment() -> Secrets {
        Secrets::new(std::env::vars_os().filter_map(|(name, value)| {
            let name = name.to_string_lossy().to_ascii_uppercase();
            let secret = SECRET_NAMES.iter().any(|part| name.contains(part));
            secret.then(|| value.to_string_lossy().into_owned())
        }))
    }

    /// These secrets and one more.
    pub fn and(mut self, secret: &str) -> Secrets {
        self.values.push(secret.to_string());
        Secrets::new(self.values)
    }

    /// The byte ranges of every secret in `text`, in order, not overlapping.
    pub fn find(&self, text: &str) -> Vec<Range<usize>> {
        let mut found: Vec<Range<usize>> = Vec::new();
        for value in &self.values {
            for (start, _) in text.match_indices(value.as_str()) {
                let range = start..start + value.len();
                if !found
                    .iter()
                    .any(|f| f.start < range.end && range.start < f.end)
                {
                    found.push(range);
                }
            }
        }
        found.sort_by_key(|range| range.start);
        found
    }

    /// `text` with every secret replaced by [`CUT`].
    pub fn cut(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for range in self.find(text) {
            out.push_str(&text[at..range.start]);
            out.push_str(CUT);
            at = range.end;
        }
        out.push_str(&text[at..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_cut_and_short_values_are_not_secrets() {
        let secrets = Secrets::new(["rw-token-1234", "short"]);
        assert_eq!(
            secrets.cut("ZEEG_API_TOKEN=rw-token-1234\0Bearer rw-token-1234, short"),
            "ZEEG_API_TOKEN=[token]\0Bearer [token], short"
        );
        assert_eq!(secrets.cut("nothing here"), "nothing here");
    }

    #[test]
    fn a_secret_holding_another_is_cut_whole() {
        let secrets = Secrets::new(["abcdefgh", "abcdefgh-and-more"]);
        assert_eq!(secrets.cut("x abcdefgh-and-more y"), "x [token] y");
        assert_eq!(secrets.find("abcdefgh-and-more"), vec![0..17]);
    }
}
