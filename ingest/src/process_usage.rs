//! The process's own CPU time and memory, as the kernel counts them.
//!
//! *Why here:* an operator sizing a machine for the consumer wants its CPU per record, and the
//! standard Prometheus process metrics (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`) give that next to the record counters. The consumer also
//! reports the CPU it used after start-up, so that its cost per record can be compared with a
//! consumer measured the same way (the benchmark's Python baseline starts its clock after its
//! imports and its client), and so that a short run's figure is not mostly start-up.

/// CPU seconds (user + system, all threads) the process has used so far; `None` where the
/// platform does not say.
pub fn cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
        // SAFETY: getrusage writes a whole `rusage` into the pointer it is given and reads
        // nothing from it; the value is used only when it reports success.
        let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
        if status != 0 {
            return None;
        }
        // SAFETY: initialised by the successful call above.
        let usage = unsafe { usage.assume_init() };
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Resident memory of the process now, in bytes; `None` off Linux.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    #[cfg(unix)]
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    #[cfg(not(unix))]
    let page_size = 4096;
    Some(pages * u64::try_from(page_size).ok()?)
}

/// CPU used since a point in the process's life, such as the end of start-up.
#[derive(Debug, Clone, Copy)]
pub struct CpuSince {
    start: Option<f64>,
}

impl CpuSince {
    /// Starts counting now.
    pub fn now() -> Self {
        CpuSince {
            start: cpu_seconds(),
        }
    }

    /// CPU seconds used since [`CpuSince::now`]; `None` where the platform does not say.
    pub fn elapsed(&self) -> Option<f64> {
        Some(cpu_seconds()? - self.start?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This thread's own CPU time (CLOCK_THREAD_CPUTIME_ID), a clock independent of getrusage.
    fn thread_cpu_seconds() -> f64 {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec into the pointer it is given.
        let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
        assert_eq!(status, 0, "the thread CPU clock exists on Linux");
        now.tv_sec as f64 + now.tv_nsec as f64 / 1e9
    }

    /// Work done on this thread shows up in the process's CPU time. The spin lasts until the
    /// thread itself has used 200 ms of CPU, not 200 ms of wall time: on a busy two-core CI
    /// machine a wall-clock spin got half a core and 0.1 s.
    #[test]
    fn counts_the_cpu_a_busy_loop_uses() {
        let since = CpuSince::now();
        let started = thread_cpu_seconds();
        let mut x = 0u64;
        while thread_cpu_seconds() - started < 0.2 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let used = since.elapsed().expect("getrusage works on Linux");
        // Other test threads may add to it, so only a lower bound holds.
        assert!(
            used >= 0.19,
            "200 ms of this thread's CPU counted as {used} s"
        );
    }

    #[test]
    fn reads_the_resident_size() {
        let before = resident_bytes().expect("/proc/self/statm on Linux");
        let block = vec![1u8; 64 * 1024 * 1024];
        let after = resident_bytes().expect("/proc/self/statm on Linux");
        assert!(std::hint::black_box(&block).iter().all(|&b| b == 1));
        assert!(
            after >= before + 32 * 1024 * 1024,
            "64 MiB touched, resident {before} -> {after}"
        );
    }
}
