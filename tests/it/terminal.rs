//! What a person at a terminal sees: `-q`, the prompt when stdout is
//! redirected, the progress bar (on a real pseudo-terminal, util-linux
//! `script`), and the man page.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{Sandbox, TOKEN, project, run, zeeg, zeeg_bin};

/// A project of `n` people, and one more with `description` when given.
fn people_project(n: usize, description: Option<&str>) -> tempfile::TempDir {
    let mut yaml = String::from("people:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - firstName: P{i}\n    emails: [p{i}@acme.example]\n"
        ));
    }
    if let Some(description) = description {
        yaml.push_str(&format!(
            "  - firstName: Big\n    emails: [big@acme.example]\n    description: {description}\n"
        ));
    }
    project(&[("people.yaml", &yaml)])
}

#[test]
fn quiet_keeps_data_on_stdout_and_errors_on_stderr_only() {
    let sandbox = Sandbox::start(&[]);
    let dir = people_project(3, None);
    let plan = run(sandbox
        .zeeg()
        .current_dir(dir.path())
        .args(["plan", "-q", "--out", "p.json"]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .ends_with("Plan: 3 to create, 0 to update, 0 unchanged.\n")
    );
    assert_eq!(plan.stderr, "", "no status lines");
    let json = run(sandbox
        .zeeg()
        .current_dir(dir.path())
        .args(["plan", "-q", "--format", "json"]));
    assert!(
        json.stdout.starts_with("{\n  \"formatVersion\": 1"),
        "{}",
        json.stdout
    );

    let applied =
        run(sandbox
            .zeeg()
            .current_dir(dir.path())
            .args(["apply", "-q", "--auto-approve"]));
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(
        applied.stdout, "",
        "no plan, no per-entry lines, no summary"
    );
    assert_eq!(applied.stderr, "");

    // A failure is an error: on stderr, without the summary line. (An API
    // that refuses one entry at apply, which no plan foresees.)
    let api = crate::common::mock_api_failing(
        serde_json::json!([]),
        serde_json::Value::Null,
        Some(422),
        "refused-at-apply",
    );
    let dir = people_project(1, Some("refused-at-apply"));
    let failed = run(zeeg()
        .env("ZEEG_API_URL", &api)
        .env("ZEEG_API_TOKEN", TOKEN)
        .current_dir(dir.path())
        .args(["apply", "-q", "--auto-approve"]));
    assert_eq!(failed.code, 3);
    assert_eq!(failed.stdout, "");
    assert!(
        failed
            .stderr
            .starts_with("Failed:\n  people.yaml:4 email big@acme.example: "),
        "{}",
        &failed.stderr[..200.min(failed.stderr.len())]
    );
    assert!(
        !failed.stderr.contains("Apply complete"),
        "{}",
        failed.stderr
    );

    // JSON results are data: they stay.
    let json = run(zeeg()
        .env("ZEEG_API_URL", &api)
        .env("ZEEG_API_TOKEN", TOKEN)
        .current_dir(dir.path())
        .args(["apply", "-q", "--auto-approve", "--format", "json"]));
    assert_eq!(json.code, 3);
    assert!(json.stdout.contains("\"failed\": 1"), "{}", json.stdout);
}

/// The width of the pseudo-terminal.
const COLUMNS: usize = 120;

/// `zeeg ARGS` on a pseudo-terminal, through `sh -c` so `shell` may redirect;
/// `input` is typed once `ready` (if any) shows on the terminal. Returns the
/// exit code and everything the terminal showed.
fn on_a_terminal(
    sandbox: &Sandbox,
    dir: &Path,
    shell: &str,
    input: &[u8],
    ready: impl Fn(&str) -> bool,
) -> (i32, String) {
    // A known width, whatever terminal (if any) runs the tests.
    let command = format!(
        "stty cols {COLUMNS} rows 40 2>/dev/null; {} {shell}",
        zeeg_bin().display()
    );
    let mut script = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(dir)
        .env("ZEEG_API_URL", sandbox.api_url())
        .env("ZEEG_API_TOKEN", TOKEN)
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .env("COLUMNS", COLUMNS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("util-linux `script` runs");
    let mut stdout = script.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
            let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(seen) if ready(&seen) => break,
            Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                assert!(Instant::now() < deadline, "the terminal never got ready");
            }
            Err(_) => break,
        }
    }
    let mut stdin = script.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let status = script.wait().unwrap();
    (
        status.code().unwrap_or(-1),
        reader.join().unwrap().replace('\r', "\n"),
    )
}

#[test]
fn the_prompt_shows_the_plan_summary_when_stdout_is_redirected() {
    let sandbox = Sandbox::start(&[]);
    let dir = people_project(3, None);
    let (code, screen) = on_a_terminal(
        &sandbox,
        dir.path(),
        "apply --color never > plan.txt",
        b"y\n",
        |seen| seen.contains("Apply these changes?"),
    );
    assert_eq!(code, 0, "{screen}");
    let summary = screen
        .find("Plan: 3 to create, 0 to update, 0 unchanged.")
        .expect(&screen);
    let question = screen.find("Apply these changes? [y/N]").expect(&screen);
    assert!(summary < question, "{screen}");
    let file = std::fs::read_to_string(dir.path().join("plan.txt")).unwrap();
    assert!(file.contains("+ email p0@acme.example"), "{file}");
    assert!(
        file.ends_with("Apply complete: 3 created, 0 updated, 0 failed.\n"),
        "{file}"
    );
}

#[test]
fn after_ctrl_c_the_bar_shows_the_summarys_count_at_a_whole_number_rate() {
    let sandbox = Sandbox::start(&["--latency", "50"]);
    let dir = people_project(400, None);
    let bar_count = |screen: &str| -> Option<u64> {
        let at = screen.rfind("/400 ·")?;
        let digits: String = screen[..at]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.chars().rev().collect::<String>().parse().ok()
    };
    let (code, screen) = on_a_terminal(
        &sandbox,
        dir.path(),
        "apply --auto-approve --color never --parallelism 2",
        b"\x03",
        |seen| bar_count(seen).is_some_and(|n| n >= 10),
    );
    assert_eq!(code, 130, "{screen}");
    let summary = screen
        .lines()
        .find_map(|line| line.strip_prefix("Apply interrupted: "))
        .map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse::<u64>().unwrap())
                .sum::<u64>()
        });
    // The bar's last state, left on the terminal, counts what the summary does.
    let shown = bar_count(&screen).expect(&screen);
    assert_eq!(Some(shown), summary, "{screen}");
    let rates: Vec<&str> = screen
        .match_indices("/s ·")
        .map(|(i, _)| &screen[i.saturating_sub(8)..i])
        .collect();
    assert!(!rates.is_empty(), "{screen}");
    for rate in rates {
        assert!(!rate.contains('.'), "a whole-number rate: {rate:?}");
    }
}

#[test]
fn retry_lines_go_above_the_bar_without_tearing_it() {
    let sandbox = Sandbox::start(&["--fail-rate", "0.3", "--latency", "30"]);
    let dir = people_project(60, None);
    let (code, screen) = on_a_terminal(
        &sandbox,
        dir.path(),
        "apply --auto-approve --color never --parallelism 2",
        b"",
        |_| true,
    );
    // With 30% of requests failing, an entry may still fail all six tries.
    assert!(code == 0 || code == 3, "{screen}");
    assert!(screen.contains("/60 ·"), "the bar was drawn: {screen}");
    // What the terminal shows in the end, with every line scrolled past.
    let rows = terminal_rows(&screen, COLUMNS);
    let retries: Vec<&String> = rows
        .iter()
        .filter(|row| row.contains("retrying "))
        .collect();
    assert!(!retries.is_empty(), "{rows:#?}");
    for row in retries {
        assert!(row.starts_with("retrying "), "torn: {row:?}");
    }
    let left = rows.iter().filter(|row| row.contains("/60 ·")).count();
    assert_eq!(left, 0, "no copy of the bar is left behind: {rows:#?}");
}

/// The rows a terminal `columns` wide shows after `output` (where `\r` was
/// made `\n`, as [`on_a_terminal`] gives it): enough of one for what a
/// progress bar sends (wrapping, clearing a line, moving up).
fn terminal_rows(output: &str, columns: usize) -> Vec<String> {
    let mut rows: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut column) = (0usize, 0usize);
    let mut chars = output.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `\r` and `\n` both arrive as `\n`: a bare `\r` returns to the
            // start of the row, and `\r\n` becomes two `\n`s with no row between.
            '\n' if chars.peek() == Some(&'\n') => {
                chars.next();
                (row, column) = (row + 1, 0);
            }
            '\n' => column = 0,
            '\u{1b}' => {
                let mut sequence = String::new();
                if chars.next() == Some('[') {
                    for c in chars.by_ref() {
                        sequence.push(c);
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
                match sequence.as_str() {
                    "2K" => rows[row].clear(),
                    "J" | "0J" => {
                        rows[row].truncate(column);
                        rows.truncate(row + 1);
                    }
                    up if up.ends_with('A') => {
                        row = row.saturating_sub(up.trim_end_matches('A').parse().unwrap_or(1));
                    }
                    _ => {}
                }
            }
            c => {
                if column == columns {
                    (row, column) = (row + 1, 0);
                }
                if rows.len() <= row {
                    rows.resize(row + 1, Vec::new());
                }
                if rows[row].len() < column {
                    rows[row].resize(column, ' ');
                }
                match rows[row].get_mut(column) {
                    Some(cell) => *cell = c,
                    None => rows[row].push(c),
                }
                column += 1;
            }
        }
        if rows.len() <= row {
            rows.resize(row + 1, Vec::new());
        }
    }
    rows.into_iter()
        .map(|row| row.into_iter().collect::<String>().trim_end().to_string())
        .collect()
}

#[test]
fn the_man_page_has_exit_status_and_environment_and_no_missing_pages() {
    let out = run(zeeg().arg("man"));
    assert_eq!(out.code, 0);
    let page = out.stdout;
    for section in [".SH \"EXIT STATUS\"", ".SH \"ENVIRONMENT\"", ".SH COMMANDS"] {
        assert!(page.contains(section), "{section}");
    }
    for code in ["0", "1", "2", "3", "4", "130"] {
        assert!(
            page.contains(&format!(".TP\n\\fB{code}\\fR\n")),
            "exit {code}"
        );
    }
    for variable in ["ZEEG_API_TOKEN", "ZEEG_API_URL", "NO_COLOR", "CI"] {
        assert!(page.contains(&format!("\\fB{variable}\\fR")), "{variable}");
    }
    assert!(
        !page.contains("(1)"),
        "no references to pages that do not exist"
    );
}
