//! File names made from CRM values (a company's id or domain).
//!
//! The value is the server's, so it may be anything: 300 characters long,
//! holding `/`, `..`, spaces, capitals or a Windows device name. A name must
//! still be safe on every common file system, readable in a listing, the
//! same on every import of the same CRM, and unique in its folder, even on
//! a file system that ignores case. So a value that is *plain* (lower-case
//! ASCII letters, digits, `-` and `.`, not starting with `.` or `-`, not a
//! device name, short enough) names its file as it is; any other gets a
//! readable part (the plain characters, the rest as `-`, cut short) and `_`
//! with a hash of the whole value. A plain name never holds `_`, so the two
//! kinds can never name the same file.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

/// The longest file name import writes, in bytes, extension included. Most
/// file systems allow 255 bytes, eCryptfs 143; shorter also reads better.
pub const MAX_FILE_NAME: usize = 120;

/// The extension of every people file import writes.
const EXTENSION: &str = ".yaml";

/// How many hex digits of the hash a shortened name carries (64 bits).
const HASH_DIGITS: usize = 16;

/// Names Windows reserves for devices, with any extension.
const DEVICE_NAMES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The file names of one folder, handed out so that no two are the same
/// ignoring case.
#[derive(Debug, Default)]
pub(crate) struct FileNames {
    taken: HashSet<String>,
}

impl FileNames {
    /// Takes a fixed name (`no-company.yaml`); values that would name the
    /// same file get a hashed name instead.
    pub(crate) fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_ascii_lowercase());
    }

    /// The file name for `value`: `PREFIX` + `value` + `.yaml` when the value
    /// is plain and fits, else a shortened, hashed name (see the module docs).
    /// The same values claimed in the same order get the same names.
    pub(crate) fn claim(&mut self, prefix: &str, value: &str) -> String {
        let plain = format!("{prefix}{value}{EXTENSION}");
        if is_plain(value) && plain.len() <= MAX_FILE_NAME && self.take(&plain) {
            return plain;
        }
        // A second round only if two hashes meet, which 64 bits make unlikely
        // but not impossible; the round is part of what is hashed.
        let mut round = 0u32;
        loop {
            let name = hashed(prefix, value, round);
            if self.take(&name) {
                return name;
            }
            round += 1;
        }
    }

    fn take(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_ascii_lowercase())
    }
}

/// Whether `value` can name a file as it is.
fn is_plain(value: &str) -> bool {
    let first_part = value.split('.').next().unwrap_or(value);
    !value.is_empty()
        && !value.starts_with(['.', '-'])
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !DEVICE_NAMES.contains(&first_part)
}

/// `PREFIX` + readable part + `_` + hash + `.yaml`, at most [`MAX_FILE_NAME`]
/// bytes.
fn hashed(prefix: &str, value: &str, round: u32) -> String {
    let mut hasher = Sha256::new();
    hasher.update(value.as_bytes());
    if round > 0 {
        hasher.update(round.to_be_bytes());
    }
    let digest = hasher.finalize();
    let hash: String = digest
        .iter()
        .take(HASH_DIGITS / 2)
        .map(|b| format!("{b:02x}"))
        .collect();
    let room = MAX_FILE_NAME.saturating_sub(prefix.len() + 1 + HASH_DIGITS + EXTENSION.len());
    format!("{prefix}{}_{hash}{EXTENSION}", readable(value, room))
}

/// The plain characters of `value`, lower-cased, every run of others as one
/// `-`, without leading `.`/`-`, cut to `room` bytes.
fn readable(value: &str, room: usize) -> String {
    let mut out = String::with_capacity(room);
    for c in value.chars() {
        let c = match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '.') => c,
            _ => '-',
        };
        if (out.is_empty() && (c == '.' || c == '-')) || (c == '-' && out.ends_with('-')) {
            continue;
        }
        if out.len() == room {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(value: &str) -> String {
        FileNames::default().claim("company-", value)
    }

    #[test]
    fn plain_values_name_their_file_as_they_are() {
        assert_eq!(
            claim("5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45"),
            "company-5f3b8a2e-1c4d-4e6f-9a7b-2d8c0e1f3a45.yaml"
        );
        assert_eq!(
            FileNames::default().claim("", "acme.example"),
            "acme.example.yaml"
        );
    }

    #[test]
    fn a_long_value_is_cut_short_and_hashed() {
        let long = "a".repeat(300);
        let name = claim(&long);
        assert!(name.len() <= MAX_FILE_NAME, "{} bytes", name.len());
        assert!(name.starts_with("company-aaaa"), "{name}");
        assert!(name.ends_with(".yaml"), "{name}");
        // Stable: the same value gives the same name on every import.
        assert_eq!(claim(&long), name);
        // Unique: values that share their first 300 characters still differ.
        assert_ne!(claim(&format!("{long}b")), name);
    }

    #[test]
    fn unsafe_characters_never_reach_the_name() {
        for value in [
            "../../etc/passwd",
            "a/b",
            "a\\b",
            ".hidden",
            "-rf",
            "Ünïcödé Name",
            "a b\tc\nd",
            "nul",
            "CON.example",
            "Acme.COM",
            "",
            "株式会社",
        ] {
            let name = claim(value);
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b)),
                "{value:?} gave {name:?}"
            );
            assert!(name.starts_with("company-"), "{name}");
            assert!(name.contains('_'), "{value:?} was not hashed: {name}");
            let bare = FileNames::default().claim("", value);
            assert!(!bare.starts_with('.') && !bare.starts_with('-'), "{bare}");
        }
        assert!(claim("a/b").starts_with("company-a-b_"));
    }

    #[test]
    fn names_that_differ_only_in_case_or_meet_a_reserved_name_are_told_apart() {
        let mut names = FileNames::default();
        names.reserve("no-company.yaml");
        let clash = names.claim("", "no-company");
        assert!(clash.starts_with("no-company_"), "{clash}");
        let mut names = FileNames::default();
        let lower = names.claim("", "a.example");
        let upper = names.claim("", "A.example");
        assert_eq!(lower, "a.example.yaml");
        assert_ne!(lower.to_lowercase(), upper.to_lowercase());
        // A value that looks like a hashed name is not plain: it has `_`.
        let lookalike = names.claim("", &upper.replace(".yaml", ""));
        assert_ne!(lookalike, upper);
    }
}
