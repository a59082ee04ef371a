//! Gives the binary `ZEEG_LONG_VERSION`, the version and the commit it is
//! built from, for `zeeg --version` (see `build/provenance.rs`).

#[path = "build/provenance.rs"]
mod provenance;

use std::path::Path;
use std::process::Command;

use provenance::Commit;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/provenance.rs");
    println!("cargo:rerun-if-env-changed=ZEEG_BUILD_COMMIT");
    println!("cargo:rerun-if-env-changed=ZEEG_BUILD_DATE");
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let dir = Path::new(&dir);
    let commit = provenance::from_override(
        std::env::var("ZEEG_BUILD_COMMIT").ok().as_deref(),
        std::env::var("ZEEG_BUILD_DATE").ok().as_deref(),
    )
    .or_else(|| from_git(dir))
    .or_else(|| {
        let json = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
        provenance::from_cargo_vcs_info(&json)
    });
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let long = provenance::long_version(&version, commit.as_ref());
    println!("cargo:rustc-env=ZEEG_LONG_VERSION={long}");
}

/// The checked-out commit, when `dir` is the top of a git work tree: a crate
/// unpacked inside some other repository (a vendored copy, a registry cache
/// in a dotfiles repo) must not claim that repository's commit.
fn from_git(dir: &Path) -> Option<Commit> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = std::fs::canonicalize(top.trim()).ok()? == std::fs::canonicalize(dir).ok()?;
    if !same {
        return None;
    }
    // A new commit moves HEAD or the branch it names (loose or packed); a
    // worktree keeps HEAD apart from the shared refs, which --git-path knows.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch.trim().to_string());
    }
    for name in watched {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) {
            let path = dir.join(path.trim());
            // A path that does not exist would rerun this script on every build.
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    provenance::from_git_log(&git(dir, &["log", "-1", "--format=%h %cs", "--abbrev=7"])?)
}

/// What `git ARGS` prints in `dir`, when it runs and succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}
