//! The processes a benchmark runs (the load generator, the consumer, the baseline), with their
//! CPU time and peak memory read from `/proc` while they run. A process that has exited but not
//! been reaped still shows its final CPU time, so the last reading is taken then.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Clock ticks per second of `/proc/<pid>/stat` times.
fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A child process and what has been read of its resources.
pub struct Measured {
    pub name: &'static str,
    child: Child,
    started: Instant,
    ticks: f64,
    /// User + system CPU seconds, as last read.
    pub cpu_seconds: f64,
    /// Peak resident memory in bytes (VmHWM), as last read.
    pub peak_rss: u64,
    pub wall_seconds: f64,
}

impl Measured {
    /// Starts `command` with its standard error (and output) going to `log`.
    pub fn spawn(name: &'static str, mut command: Command, log: &Path) -> Result<Measured> {
        let file = std::fs::File::create(log)
            .with_context(|| format!("cannot write {}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("cannot start the {name}"))?;
        Ok(Measured {
            name,
            child,
            started: Instant::now(),
            ticks: ticks_per_second(),
            cpu_seconds: 0.0,
            peak_rss: 0,
            wall_seconds: 0.0,
        })
    }

    /// Reads CPU time and peak memory; true while the process is still running (not a zombie).
    pub fn sample(&mut self) -> bool {
        let pid = self.child.id();
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let state = fields.first().copied().unwrap_or("Z");
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name and state.
        let ticks: f64 = [11, 12]
            .iter()
            .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<f64>().ok()))
            .sum();
        if ticks > 0.0 {
            self.cpu_seconds = ticks / self.ticks;
        }
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let peak = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok());
            if let Some(kb) = peak {
                self.peak_rss = self.peak_rss.max(kb * 1024);
            }
        }
        self.wall_seconds = self.started.elapsed().as_secs_f64();
        state != "Z"
    }

    /// Whether it is still running (sampling it on the way).
    pub fn running(&mut self) -> bool {
        self.sample()
    }

    /// Asks it to stop as SIGTERM does for a service.
    pub fn terminate(&self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("cannot signal the {}", self.name);
        }
        Ok(())
    }

    /// Waits for it to end (at most `limit`), sampling until the last moment.
    pub fn wait(&mut self, limit: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if !self.sample() {
                // Exited (a zombie now, its final CPU read) or gone.
                let status = self.child.wait()?;
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("the {} did not finish within {limit:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Measured {
    fn drop(&mut self) {
        // Never leave a benchmark process behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
