//! What `zeeg --version` says about where a binary comes from: the version,
//! then the commit and its date when they are known,
//! `0.1.0 (1bb506b 2026-12-02)`.
//!
//! Kept apart from `build.rs`, which gathers the facts, so that the tests can
//! check each way of knowing the commit without building zeeg again.

/// The commit a build is made from, and how that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// An abbreviated or full commit hash.
    pub hash: String,
    /// The commit's date, `YYYY-MM-DD`, when known.
    pub date: Option<String>,
}

/// `VERSION (HASH DATE)`, `VERSION (HASH)`, or `VERSION` alone when the
/// commit is not known.
pub fn long_version(version: &str, commit: Option<&Commit>) -> String {
    match commit {
        Some(Commit {
            hash,
            date: Some(date),
        }) => format!("{version} ({hash} {date})"),
        Some(Commit { hash, date: None }) => format!("{version} ({hash})"),
        None => version.to_string(),
    }
}

/// The commit named by `ZEEG_BUILD_COMMIT` (and `ZEEG_BUILD_DATE`), for a
/// release build made outside a git checkout. A value that is not a plain
/// word is ignored: it ends up in a cargo directive and in `--version`.
pub fn from_override(hash: Option<&str>, date: Option<&str>) -> Option<Commit> {
    let hash = hash.map(str::trim).filter(|h| is_word(h))?;
    let date = date.map(str::trim).filter(|d| is_word(d));
    Some(Commit {
        hash: hash.to_string(),
        date: date.map(str::to_string),
    })
}

/// The output of `git log -1 --format='%h %cs'`.
pub fn from_git_log(output: &str) -> Option<Commit> {
    let mut words = output.split_whitespace();
    let hash = words.next().filter(|h| is_hex(h))?;
    let date = words.next().filter(|d| is_word(d));
    Some(Commit {
        hash: hash.to_string(),
        date: date.map(str::to_string),
    })
}

/// The commit in the `.cargo_vcs_info.json` that `cargo package` puts into a
/// crate's tarball (`{"git": {"sha1": "…"}, …}`); it carries no date. The
/// file's shape is fixed and small, so a look for the one key does.
pub fn from_cargo_vcs_info(json: &str) -> Option<Commit> {
    let after_key = &json[json.find("\"sha1\"")? + "\"sha1\"".len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    let sha1 = &value[..value.find('"')?];
    if sha1.len() < 7 || !is_hex(sha1) {
        return None;
    }
    Some(Commit {
        hash: sha1[..7].to_string(),
        date: None,
    })
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_word(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_graphic())
}
