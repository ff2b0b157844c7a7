//! A `simplechain` child process: started with arguments, its stdout read line by line
//! on a thread, its stderr in a log file, and killed (SIGKILL) when dropped.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running child.
#[derive(Debug)]
pub struct ChildProcess {
    pub child: Child,
    /// Stdout lines, as they arrive.
    pub stdout: mpsc::Receiver<String>,
    /// The file stderr goes to.
    pub log: PathBuf,
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChildProcess {
    /// Starts this very executable (`simplechain`) with `args`, or the one named by
    /// `SIMPLECHAIN_BENCH_BINARY` (to measure another build's server, such as the one
    /// before a change, with this build's load in the same sitting).
    pub fn start(args: &[&str], log: &Path) -> anyhow::Result<ChildProcess> {
        let exe = match std::env::var_os("SIMPLECHAIN_BENCH_BINARY") {
            Some(other) => other.into(),
            None => std::env::current_exe().context("cannot find the simplechain executable")?,
        };
        Self::start_binary(&exe, args, log)
    }

    /// Starts `binary` with `args`, stderr to `log`.
    pub fn start_binary(binary: &Path, args: &[&str], log: &Path) -> anyhow::Result<ChildProcess> {
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let out = child.stdout.take().context("no stdout pipe")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(ChildProcess {
            child,
            stdout: rx,
            log: log.to_path_buf(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (up to 60 s) for a stdout line starting with `prefix`; returns the rest.
    pub fn wait_for_line(&self, prefix: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.trim().to_string());
                    }
                }
                Err(_) => bail!(
                    "the child did not print `{prefix}` within 60 s; its log ({}):\n{}",
                    self.log.display(),
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                ),
            }
        }
    }

    /// The peak resident memory of the child so far (Linux `VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}
