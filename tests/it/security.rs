//! Where the token goes: the host `zeeg.yaml` may name, and the hosts only the
//! person running zeeg may name. Real binary, real sandbox on loopback.

use std::path::Path;

use crate::common::{self, Sandbox};

const PEOPLE: &str = "people:\n  - firstName: Ada\n    emails: [ada@example.com]\n";

/// A project whose zeeg.yaml names `api_url`, with one people file.
fn project_naming(api_url: &str) -> tempfile::TempDir {
    let config = format!("apiUrl: {api_url}\n");
    common::project(&[("zeeg.yaml", &config), ("people.yaml", PEOPLE)])
}

#[test]
fn a_zeeg_yaml_naming_another_host_gets_no_token() {
    let tmp = project_naming("https://collector.example/v2");
    for (name, args) in [
        ("plan", &["plan"][..]),
        ("apply", &["apply", "--auto-approve"]),
        ("import", &["import", "--out", "imported"]),
    ] {
        // Where it stops and how to fix it, and never the token itself.
        let run = crate::zeeg_snapshot!(
            format!("another-host-{name}"),
            common::zeeg()
                .env("ZEEG_API_TOKEN", common::TOKEN)
                .current_dir(tmp.path())
                .args(args)
        );
        assert!(!run.stderr.contains(common::TOKEN), "{}", run.stderr);
    }
    assert!(!tmp.path().join("imported").exists());
}

#[test]
fn a_zeeg_yaml_may_name_this_machine() {
    let sandbox = Sandbox::start(&[]);
    let tmp = project_naming(&sandbox.api_url());
    let run = common::run(
        common::zeeg()
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .current_dir(tmp.path())
            .arg("plan"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Plan: 1 to create"), "{}", run.stdout);
}

#[test]
fn the_person_running_zeeg_may_name_any_host_over_zeeg_yaml() {
    let sandbox = Sandbox::start(&[]);
    let tmp = project_naming("https://collector.example/v2");
    let by_env = common::run(sandbox.zeeg().current_dir(tmp.path()).arg("plan"));
    let by_flag = common::run(
        common::zeeg()
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .current_dir(tmp.path())
            .args(["--api-url", &sandbox.api_url(), "plan"]),
    );
    for run in [by_env, by_flag] {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("Plan: 1 to create"), "{}", run.stdout);
    }
}

#[test]
fn a_refused_api_url_does_not_print_its_credentials() {
    let run = crate::zeeg_snapshot!(
        "a-refused-api-url-with-credentials",
        common::zeeg()
            .env("ZEEG_API_TOKEN", common::TOKEN)
            .env("ZEEG_API_URL", "https://user:S3CRET@api.zeeg.me/v2")
            .args(["import", "--out"])
            .arg(tempfile::tempdir().unwrap().path().join("out"))
    );
    assert!(!run.stderr.contains("S3CRET"), "{}", run.stderr);
}

#[test]
fn a_saved_plan_is_keyed_by_the_token_and_never_holds_it() {
    let sandbox = Sandbox::start(&["--token", "second-token"]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("people.yaml"), PEOPLE).unwrap();
    let planned =
        common::run(
            sandbox
                .zeeg()
                .current_dir(tmp.path())
                .args(["plan", "--out", "zeeg.plan"]),
        );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let text = std::fs::read_to_string(tmp.path().join("zeeg.plan")).unwrap();
    assert!(text.contains("\"formatVersion\": 2"), "{text}");
    assert!(
        !text.contains(common::TOKEN) && !text.contains("ada@"),
        "{text}"
    );

    // Another token cannot vouch for this plan: every change is stale.
    let other = common::run(
        sandbox
            .zeeg()
            .current_dir(tmp.path())
            .env("ZEEG_API_TOKEN", "second-token")
            .args(["apply", "--plan", "zeeg.plan"]),
    );
    assert_eq!(other.code, 4, "{}", other.stderr);
    let same =
        common::run(
            sandbox
                .zeeg()
                .current_dir(tmp.path())
                .args(["apply", "--plan", "zeeg.plan"]),
        );
    assert_eq!(same.code, 0, "{}", same.stderr);
}

/// A token long enough to be cut out of what zeeg prints.
const SECRET: &str = "rw-token-4f9c2a7e";

/// `zeeg ARGS` in `dir`, with [`SECRET`] as the token and an API that is
/// never reached (the files are refused first).
fn offline_command(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut command = common::zeeg();
    command
        .current_dir(dir)
        .env("ZEEG_API_TOKEN", SECRET)
        .env("ZEEG_API_URL", "http://127.0.0.1:9/v2")
        .args(args);
    command
}

/// A run of [`offline_command`].
fn offline(dir: &Path, args: &[&str]) -> common::Run {
    common::run(&mut offline_command(dir, args))
}

#[test]
fn a_people_file_linking_outside_the_project_is_refused_unread() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir_all(project.join("people")).unwrap();
    std::fs::write(project.join("people/team.yaml"), PEOPLE).unwrap();
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, format!("{SECRET}\n")).unwrap();
    let links = [
        ("token.yaml", token_file.as_path()),
        ("environ.yaml", Path::new("/proc/self/environ")),
        ("passwd.yaml", Path::new("/etc/passwd")),
    ];
    for (name, target) in links {
        std::os::unix::fs::symlink(target, project.join("people").join(name)).unwrap();
    }
    for args in [
        &["validate"][..],
        &["validate", "--format", "json"],
        &["plan"],
        &["plan", "--format", "markdown"],
        &["plan", "people/token.yaml"],
    ] {
        for ci in [false, true] {
            let mut command = common::zeeg();
            command
                .current_dir(&project)
                .env("ZEEG_API_TOKEN", SECRET)
                .env("ZEEG_API_URL", "http://127.0.0.1:9/v2")
                .args(args);
            if ci {
                command.env("CI", "true");
            }
            let run = common::run(&mut command);
            let all = format!("{}{}", run.stdout, run.stderr);
            assert_eq!(run.code, 1, "{args:?}: {all}");
            assert!(!all.contains(SECRET), "{args:?}: {all}");
            assert!(!all.contains("root:x:0"), "{args:?}: {all}");
            assert!(!all.contains("PATH="), "{args:?}: {all}");
            assert!(
                all.contains("people/token.yaml leads outside the project"),
                "{args:?}: {all}"
            );
            if args.len() == 1 {
                assert!(all.contains("people/passwd.yaml"), "{args:?}: {all}");
                assert!(all.contains("/proc/self/environ"), "{args:?}: {all}");
            }
        }
    }
}

#[test]
fn a_linked_file_inside_the_project_is_read_once() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("shared")).unwrap();
    std::fs::create_dir_all(tmp.path().join("people")).unwrap();
    std::fs::write(tmp.path().join("shared/team.yaml"), PEOPLE).unwrap();
    std::os::unix::fs::symlink("../shared/team.yaml", tmp.path().join("people/team.yaml")).unwrap();
    let run = offline(tmp.path(), &["validate"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("1 person in 1 file: valid"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_secret_inside_a_people_file_is_never_quoted() {
    let tmp = tempfile::tempdir().unwrap();
    // A token file committed by mistake, and an environment dump.
    std::fs::write(tmp.path().join("token.yaml"), format!("{SECRET}\n")).unwrap();
    std::fs::write(
        tmp.path().join("dump.yaml"),
        format!(
            "people:\n  - firstName: Ada\n    note: \"ZEEG_API_TOKEN={SECRET}, GH={SECRET}x\"\n"
        ),
    )
    .unwrap();
    for (name, args) in [
        ("validate", &["validate"][..]),
        ("validate-json", &["validate", "--format", "json"]),
        ("plan", &["plan"]),
        ("token-file", &["--token-file", "secret.txt", "validate"]),
    ] {
        let mut command = common::zeeg();
        command
            .current_dir(tmp.path())
            .env("ZEEG_API_URL", "http://127.0.0.1:9/v2")
            .args(args);
        if args[0] == "--token-file" {
            // The token only in a file, not in the environment.
            std::fs::write(tmp.path().join("secret.txt"), SECRET).unwrap();
        } else {
            command.env("ZEEG_API_TOKEN", SECRET);
        }
        // Where the token was, `[token]` (JSON has no snippets to show
        // the cut in).
        let run = crate::zeeg_snapshot!(format!("a-secret-in-a-file-{name}"), &mut command);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains(SECRET), "{args:?}: {all}");
    }
}

/// Whether this process may make device nodes (root, as in CI).
fn is_root() -> bool {
    // SAFETY: geteuid only reads the process's own id.
    unsafe { libc::geteuid() == 0 }
}

/// A FIFO at `path` (mkfifo).
fn fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[test]
fn plan_out_never_replaces_an_input_of_the_plan() {
    let sandbox = Sandbox::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("people")).unwrap();
    std::fs::write(tmp.path().join("people/a.yaml"), PEOPLE).unwrap();
    std::fs::write(tmp.path().join("zeeg.yaml"), "apply:\n  parallelism: 2\n").unwrap();
    std::os::unix::fs::symlink("people/a.yaml", tmp.path().join("link.json")).unwrap();
    for out in [
        "people/a.yaml",
        "./people/../people/a.yaml",
        "link.json",
        "zeeg.yaml",
    ] {
        let run = common::run(
            sandbox
                .zeeg()
                .current_dir(tmp.path())
                .args(["plan", "--out", out]),
        );
        // Refused before the CRM is read: no token is needed to be told.
        let unread = offline(tmp.path(), &["plan", "--out", out]);
        assert_eq!(unread.code, 1, "{out}: {}", unread.stderr);
        assert!(
            unread.stderr.contains("refusing to write"),
            "{}",
            unread.stderr
        );
        assert_eq!(run.code, 1, "{out}: {}", run.stderr);
        let said = run.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            said.contains("refusing to write the plan to")
                && said.contains("the plan was made from that file"),
            "{out}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("Saved the plan"), "{}", run.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("people/a.yaml")).unwrap(),
        PEOPLE
    );
    assert!(
        std::fs::symlink_metadata(tmp.path().join("link.json"))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn plan_out_writes_through_a_device_or_fifo_and_reports_a_full_disk() {
    let sandbox = Sandbox::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("people.yaml"), PEOPLE).unwrap();
    let plan = |out: &Path| {
        common::run(
            sandbox
                .zeeg()
                .current_dir(tmp.path())
                .args(["plan", "--out"])
                .arg(out),
        )
    };

    // A FIFO nobody reads: an error, not a wait, and still a FIFO.
    let pipe = tmp.path().join("plan.fifo");
    fifo(&pipe);
    let run = plan(&pipe);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("nothing reads"), "{}", run.stderr);
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&pipe).unwrap().file_type().is_fifo());
    // A FIFO someone reads gets the plan.
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
    };
    // The reader must have opened the FIFO before zeeg writes to it.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let run = plan(&pipe);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(reader.join().unwrap().contains("\"formatVersion\": 2"));

    if !is_root() {
        eprintln!("skipped the device nodes: not root");
        return;
    }
    // Device nodes of our own, so the system's stay untouched.
    let node = |name: &str, minor: u32| {
        let path = tmp.path().join(name);
        let status = std::process::Command::new("mknod")
            .arg(&path)
            .args(["c", "1", &minor.to_string()])
            .status()
            .expect("mknod runs");
        assert!(status.success());
        path
    };
    let null = node("null", 3);
    let run = plan(&null);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::metadata(&null)
            .unwrap()
            .file_type()
            .is_char_device()
    );
    let full = node("full", 7);
    let run = plan(&full);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("could not write the saved plan"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("No space left on device"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Saved the plan"), "{}", run.stderr);
    assert!(
        std::fs::metadata(&full)
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn a_saved_plan_is_read_within_its_cap_and_only_from_a_regular_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("people.yaml"), PEOPLE).unwrap();
    // 600 MB of white space, sparse: no disk, and refused unread.
    let big = tmp.path().join("big.plan");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(600 << 20)
        .unwrap();
    let pipe = tmp.path().join("plan.fifo");
    fifo(&pipe);
    // Relative to the folder it runs in, as a user would write them.
    let cases: [(&Path, &str); 3] = [
        (Path::new("big.plan"), "too-big"),
        (Path::new("/dev/zero"), "a-device"),
        (Path::new("plan.fifo"), "a-fifo"),
    ];
    for (path, name) in cases {
        let started = std::time::Instant::now();
        crate::zeeg_snapshot!(
            format!("saved-plan-{name}"),
            &mut offline_command(tmp.path(), &["apply", "--plan", path.to_str().unwrap()])
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}

#[test]
fn a_token_file_is_read_within_its_cap_and_a_fifo_never_hangs() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("people.yaml"), PEOPLE).unwrap();
    let big = tmp.path().join("big.token");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let pipe = tmp.path().join("token.fifo");
    fifo(&pipe);
    let with_token_file = |path: &Path| {
        let mut command = common::zeeg();
        command
            .current_dir(tmp.path())
            .env("ZEEG_API_URL", "http://127.0.0.1:9/v2")
            .arg("--token-file")
            .arg(path)
            .arg("plan");
        command
    };
    // Relative to the folder it runs in, as a user would write them.
    let cases: [(&Path, &str); 3] = [
        (Path::new("big.token"), "too-big"),
        (Path::new("/dev/zero"), "a-device"),
        // No writer: read at once, as empty.
        (Path::new("token.fifo"), "an-empty-fifo"),
    ];
    for (path, name) in cases {
        let started = std::time::Instant::now();
        crate::zeeg_snapshot!(format!("token-file-{name}"), &mut with_token_file(path));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    // A writer that never writes: zeeg waits, and Ctrl-C ends the wait.
    let writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&pipe)
        .unwrap();
    let mut child = with_token_file(&pipe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "zeeg waits for the writer"
    );
    // SAFETY: kill sends a signal to the child we started.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "Ctrl-C did not end the wait"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    drop(writer);

    // A pipe with a token in it is read.
    let sandbox = Sandbox::start(&[]);
    let token_pipe = tmp.path().join("token2.fifo");
    fifo(&token_pipe);
    // The writer is there before zeeg opens the pipe (a FIFO opened for
    // reading and writing does not wait), and goes once zeeg holds its end,
    // so zeeg reads the token, then the end of it; a writer started beside
    // zeeg could come after zeeg read the pipe as empty, and then wait for
    // a reader for ever.
    let mut writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&token_pipe)
        .unwrap();
    std::io::Write::write_all(&mut writer, format!("{}\n", common::TOKEN).as_bytes()).unwrap();
    let child = with_token_file(&token_pipe)
        .env("ZEEG_API_URL", sandbox.api_url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !holds_open(child.id(), &token_pipe) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "zeeg never opened the pipe"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    drop(writer);
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("Plan: 1 to create"), "{stdout}");
}

/// Whether process `pid` has `path` open, by its descriptors in /proc.
fn holds_open(pid: u32, path: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    let Ok(path) = path.canonicalize() else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == path))
}
