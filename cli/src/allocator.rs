//! The process's allocator: mimalloc, with freed memory kept for a second before it goes back to
//! the operating system.

/// mimalloc: the decode-to-Arrow path allocates a few small strings per event, and with the
/// system allocator that was a tenth of its time (`benches/RESULTS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (`include/mimalloc.h`); the Rust
/// bindings name no constant for it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the process before mimalloc returns it, in milliseconds.
///
/// mimalloc's default is 10 ms. The consumer frees and allocates megabytes per GetRecords page
/// and per flush, a few times a second, so with the default every page of those buffers went
/// back to the kernel and was faulted in and zeroed again: that zeroing was nearly half of the
/// consumer's CPU time (benchmark P3 in `benches/RESULTS.md`). A second spans several pages of
/// every shard, while memory that is really no longer needed still goes back soon.
const PURGE_DELAY_MS: std::ffi::c_long = 1_000;

/// Applies the allocator options; call first thing in `main`. `MIMALLOC_PURGE_DELAY` in the
/// environment still wins, for experiments.
pub fn tune() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a plain integer option; mimalloc reads options atomically and allows
        // changing them at any time.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
    }
}
