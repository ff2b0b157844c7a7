//! Helpers shared by the end-to-end tests: find the `simplechain` binary, run it as a
//! child process that is killed when the test ends, and read the addresses it prints.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

/// A running `simplechain` process; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Running {
    pub child: Child,
    /// Lines the process printed on stdout so far, as they arrive.
    pub stdout: mpsc::Receiver<String>,
    /// Where stderr (the logs) goes.
    pub log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Starts `simplechain ARGS`, logging stderr to `log`.
    pub fn start(args: &[&str], log: &Path) -> Running {
        let log_file = std::fs::File::create(log).expect("creating the log file");
        let mut child = Command::new(simplechain_bin())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("starting simplechain");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stdout: rx,
            log: log.to_path_buf(),
        }
    }

    /// Waits (up to 60 s) for a stdout line starting with `prefix` and returns the rest.
    pub fn wait_for_line(&self, prefix: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.trim().to_string();
                    }
                }
                Err(_) => panic!(
                    "simplechain did not print `{prefix}` within 60 s; its log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                ),
            }
        }
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
