//! One owner per sandbox state: a second process on the same state file is
//! refused (exit 1) instead of writing a second copy of everyone.

use crate::common::{self, Sandbox};

#[test]
fn a_second_sandbox_on_the_same_state_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("same.db");
    let state = state.to_str().unwrap();
    let first = Sandbox::start(&["--state", state]);
    // The same file, named as a user beside it would.
    crate::zeeg_snapshot!(
        "a-second-sandbox-on-the-same-state",
        common::zeeg().current_dir(tmp.path()).args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--state",
            "same.db",
        ])
    );

    // Once the owner is gone (even killed), the state is free again.
    drop(first);
    let again = Sandbox::start(&["--state", state]);
    drop(again);
}

#[test]
fn a_sandbox_command_refuses_while_another_owns_the_projects_sandbox() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("people.yaml"),
        "people:\n  - firstName: Ada\n    emails: [ada@example.com]\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("zeeg.yaml"), "{}\n").unwrap();
    std::fs::create_dir(tmp.path().join(".zeeg")).unwrap();
    let state = tmp.path().join(".zeeg/sandbox.db");
    let owner = Sandbox::start(&["--state", state.to_str().unwrap()]);
    // Not a snapshot: the message names the state by its absolute path,
    // and so wraps where the temporary folder's length says.
    let run = common::run(common::zeeg().current_dir(tmp.path()).args([
        "apply",
        "--sandbox",
        "--auto-approve",
    ]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("is in use by another zeeg process"),
        "{}",
        run.stderr
    );
    drop(owner);

    let run = common::run(common::zeeg().current_dir(tmp.path()).args([
        "apply",
        "--sandbox",
        "--auto-approve",
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
}
