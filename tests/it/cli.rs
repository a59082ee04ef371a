//! The command line itself: help texts, completions, man page, exit codes.

use crate::common::{run, zeeg};

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        &["--help"][..],
        &["validate", "--help"],
        &["schema", "--help"],
        &["plan", "--help"],
        &["apply", "--help"],
        &["import", "--help"],
        &["doctor", "--help"],
        &["sandbox", "serve", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let out = run(zeeg().args(command).env("COLUMNS", "100"));
        assert_eq!(out.code, 0, "{command:?}: {}", out.stderr);
        if command.len() > 1 {
            assert!(
                out.stdout.contains("Example"),
                "{command:?} help has no example"
            );
        }
        let name = command
            .iter()
            .take_while(|a| !a.starts_with('-'))
            .copied()
            .collect::<Vec<_>>()
            .join("-");
        let name = if name.is_empty() { "zeeg".into() } else { name };
        insta::assert_snapshot!(format!("help-{name}"), out.stdout);
    }
}

#[test]
fn completions_are_generated_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef zeeg"),
        ("fish", "complete -c zeeg"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run(zeeg().args(["completions", shell]));
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(
            out.stdout.contains(marker),
            "{shell} completion lacks {marker}"
        );
        assert!(
            out.stdout.contains("plan"),
            "{shell} completion lacks subcommands"
        );
    }
}

#[test]
fn man_page_is_roff_and_names_the_commands() {
    let out = run(zeeg().arg("man"));
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with(".ie") || out.stdout.contains(".TH zeeg"));
    for command in ["validate", "plan", "apply", "import", "doctor", "sandbox"] {
        assert!(out.stdout.contains(command), "man page lacks {command}");
    }
}
