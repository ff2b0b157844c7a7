//! `make run` on a first run (issue 12): it installs only what running needs, never a
//! test tool; the CLI hint it prints works as printed; its logs carry no colour codes
//! when they go to a file.
//!
//! The install script runs against stand-ins for `rustup`, `apt-get` and `sudo` that
//! record how they were called, on a PATH with nothing else of the kind, so the test
//! installs nothing and sees every install the script would make.

mod browser_support;

use simplechain_tests::workspace_root;
use std::path::Path;
use std::process::Command;

/// A stand-in command that appends its name and arguments to `calls.log`; `rustup`
/// reports nothing installed, so the script installs whatever it would.
fn stand_in(dir: &Path, name: &str) {
    let script = format!(
        "#!/bin/sh\necho \"{name} $*\" >> \"{}\"\n",
        dir.join("calls.log").display()
    );
    let path = dir.join(name);
    std::fs::write(&path, script).unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
}

/// Runs `scripts/install-deps.sh MODE` on stand-ins and returns the calls it made.
fn install_calls(mode: &str) -> String {
    let temp = tempfile::tempdir().unwrap();
    for name in ["rustup", "apt-get", "sudo", "python3"] {
        stand_in(temp.path(), name);
    }
    // Only the stand-ins and the shell's own tools: no real rustup or apt-get.
    let path = format!("{}:/bin:/usr/bin", temp.path().display());
    let status = Command::new("bash")
        .arg(workspace_root().join("scripts/install-deps.sh"))
        .arg(mode)
        .env("PATH", path)
        .status()
        .expect("running install-deps.sh");
    assert!(status.success(), "install-deps.sh {mode} failed");
    std::fs::read_to_string(temp.path().join("calls.log")).unwrap_or_default()
}

#[test]
fn make_run_installs_no_test_tool() {
    let run = install_calls("run");
    assert!(
        run.contains("rustup target add wasm32-unknown-unknown"),
        "{run}"
    );
    for test_tool in ["apt-get", "chromium", "clippy", "rustfmt"] {
        assert!(
            !run.contains(test_tool),
            "`make run` would install {test_tool}:\n{run}"
        );
    }
    // `make test` does install them (where they are missing).
    if !Path::new("/usr/bin/chromium").exists() || !Path::new("/usr/bin/chromedriver").exists() {
        let test = install_calls("test");
        assert!(test.contains("chromium chromium-driver"), "{test}");
    }

    // And `make run` calls the script in its `run` mode only.
    let plan = Command::new("make")
        .args(["-n", "run"])
        .current_dir(workspace_root())
        .output()
        .expect("make -n run");
    let plan = String::from_utf8_lossy(&plan.stdout);
    assert!(plan.contains("install-deps.sh run"), "{plan}");
    assert!(!plan.contains("install-deps.sh test"), "{plan}");
    assert!(
        plan.contains("step 1/3") && plan.contains("step 3/3"),
        "{plan}"
    );
}

#[test]
fn the_printed_cli_hint_works_and_logs_are_plain_text() {
    let temp = tempfile::tempdir().unwrap();
    let log = temp.path().join("up.log");
    let data = temp.path().join("chain");
    // Started elsewhere than the repository: the hint names this binary's full path.
    let up = browser_support::start_up_with(temp.path(), &data, &log, &["--difficulty", "4"]);
    let hint = up.wait_for_line("CLI:");
    let words: Vec<&str> = hint.split_whitespace().collect();
    let output = Command::new(words[0])
        .args(&words[1..])
        .output()
        .unwrap_or_else(|e| panic!("the hint {hint:?} does not run: {e}"));
    assert!(output.status.success(), "{hint}: {output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Height"));
    drop(up);

    // The log went to a file: no ANSI escape anywhere.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.is_empty(), "the server logged something");
    assert!(
        !text.contains('\u{1b}'),
        "colour codes in a log file:\n{text}"
    );

    // The repository's wrapper runs the CLI as the hint at the repository root says.
    let wrapper = workspace_root().join("simplechain");
    assert!(wrapper.exists());
}
