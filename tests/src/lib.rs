//! Helpers shared by the end-to-end tests: find the `simplechain` binary, run it as a
//! child process that is killed when the test ends, and read the addresses it prints.

pub use simplechain::bench::child::ChildProcess;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// The `simplechain` binary: `$SIMPLECHAIN_BIN`, else `target/debug/simplechain`
/// (`make test` builds it first).
pub fn simplechain_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("SIMPLECHAIN_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let bin = target.join("debug").join("simplechain");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p simplechain --bin simplechain` (make test does) or set SIMPLECHAIN_BIN",
        bin.display()
    );
    bin
}

/// A running `simplechain` binary (the library's [`ChildProcess`]: stdout read line by
/// line, stderr in a log file, SIGKILL when dropped), started and waited on by tests,
/// which fail instead of returning errors.
#[derive(Debug)]
pub struct Running(pub ChildProcess);

impl std::ops::Deref for Running {
    type Target = ChildProcess;
    fn deref(&self) -> &ChildProcess {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut ChildProcess {
        &mut self.0
    }
}

impl Running {
    /// Starts `simplechain ARGS`, logging stderr to `log`.
    pub fn start(args: &[&str], log: &Path) -> Running {
        Running(
            ChildProcess::start_binary(&simplechain_bin(), args, log)
                .expect("starting simplechain"),
        )
    }

    /// Waits (up to 60 s) for a stdout line starting with `prefix` and returns the rest.
    pub fn wait_for_line(&self, prefix: &str) -> String {
        self.0
            .wait_for_line(prefix)
            .unwrap_or_else(|e| panic!("{e:#}"))
    }
}

/// Starts `simplechain server` on a free port in `data_dir` with these extra flags and
/// returns it with its address.
pub fn start_server(data_dir: &Path, extra: &[&str]) -> (Running, String) {
    let dir = data_dir.to_str().expect("utf-8 path");
    let mut args = vec!["server", "--listen", "127.0.0.1:0", "--data-dir", dir];
    args.extend_from_slice(extra);
    let log = data_dir.with_extension("log");
    let running = Running::start(&args, &log);
    let address = running.wait_for_line("Server:");
    (running, address)
}

/// Runs the CLI once: `simplechain ARGS`, returning (success, stdout, stderr).
pub fn cli(server: &str, key: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(simplechain_bin())
        .arg("--server")
        .arg(server)
        .arg("--key")
        .arg(key)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running the CLI");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
