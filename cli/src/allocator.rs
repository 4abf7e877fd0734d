//! The process's allocator: mimalloc, with freed memory kept for ten seconds before it goes back
//! to the operating system, and without transparent huge pages.

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
/// consumer's CPU time (benchmark P3 in `benches/RESULTS.md`). One second still returned and
/// re-faulted a quarter of the consumer's pages (a shard that is caught up asks again only
/// every second, and a flush's encoding buffers come back a flush later). Never purging cut
/// P3's page faults by a quarter and its CPU by about a tenth (`benches/RESULTS.md`); ten
/// seconds keeps those pages too, while memory that is really no longer needed, after a burst,
/// still goes back within ten seconds.
const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

/// Applies the allocator settings; call first thing in `main`. `MIMALLOC_PURGE_DELAY` in the
/// environment still wins. (Huge pages are turned off earlier, at load: see
/// [`DISABLE_HUGE_PAGES_AT_LOAD`].)
pub fn tune() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a plain integer option; mimalloc reads options atomically and allows
        // changing them at any time.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

/// Stops returning memory to the operating system; call once the command's work is done.
///
/// *Why:* at exit mimalloc collects its heaps and, with a purge delay set, hands every page it
/// kept back to the kernel one range at a time (`madvise`), although the kernel is about to
/// reclaim the whole address space in one go. In a profile of benchmark P3 that collection
/// held 2.6 % of the consumer's samples, and it made almost all of a short consume's `madvise`
/// calls (42 of 47; none with this call; `benches/RESULTS.md`). A negative delay means "never
/// purge", which makes that collection skip the purge; nothing runs long enough afterwards to
/// need it.
pub fn before_exit() {
    // SAFETY: as in `tune`, a plain integer option that mimalloc reads atomically.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
}

/// Runs [`disable_transparent_huge_pages`] when the binary is loaded, before the Rust runtime
/// starts, unless `ALARMLAKE_HUGE_PAGES` is set (for experiments).
///
/// *Why so early:* the runtime's first allocation, before `main`, makes mimalloc reserve and
/// touch its first arena, and with huge pages still allowed that first touch had the kernel
/// zero a whole 2 MiB page: 2.5 % of a short `consume`'s CPU (`benches/RESULTS.md`). Constructors
/// in `.init_array` run before the runtime's set-up.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static DISABLE_HUGE_PAGES_AT_LOAD: extern "C" fn() = disable_huge_pages_at_load;

#[cfg(target_os = "linux")]
extern "C" fn disable_huge_pages_at_load() {
    // SAFETY: getenv reads the environment the loader set up; nothing writes it this early.
    let keep = unsafe { libc::getenv(c"ALARMLAKE_HUGE_PAGES".as_ptr()) };
    if keep.is_null() {
        disable_transparent_huge_pages();
    }
}

/// Turns transparent huge pages off for this process.
///
/// mimalloc 3 asks Linux for huge pages on its arenas, and then the first touch of any 4 KiB
/// in a fresh 2 MiB region makes the kernel zero all 2 MiB. The consumer touches fresh memory
/// in many places at once (GetRecords pages, per-shard builders, encoded files), so zeroing
/// huge pages was half of its CPU time (profile in `benches/RESULTS.md`); with 4 KiB pages only
/// what is used is zeroed. mimalloc's own option comes too late (its first arena is reserved
/// before `main`), but the process flag applies to every later page fault.
///
/// A failure (an old kernel) changes nothing and is not reported: logging is not set up yet.
#[cfg(target_os = "linux")]
fn disable_transparent_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only changes how the kernel backs
    // this process's future page faults.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}
