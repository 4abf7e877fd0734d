//! The CPU figures at the end of `alarmlake consume`'s summary line, written by the consumer
//! and read back by `alarmlake bench`, so the two cannot drift apart.
//!
//! The line ends `; 0.412 CPU s in all, 0.389 after start-up`. *Why two figures:* start-up
//! (loading the binary, the configuration, the credentials and the TLS roots, building the
//! clients) costs the same for ten records or ten million, so on a benchmark's short backlog it
//! is a large part of the whole; the second figure leaves it out, as the benchmark's Python
//! baseline leaves out its imports and its client.

const IN_ALL: &str = " CPU s in all, ";
const AFTER: &str = " after start-up";

/// The note for a consumer that used `all` CPU seconds, `after` of them after start-up.
pub fn format(all: f64, after: f64) -> String {
    format!("; {all:.3}{IN_ALL}{after:.3}{AFTER}")
}

/// The (in all, after start-up) CPU seconds of a summary line ending in [`format`]'s note.
pub fn parse(line: &str) -> Option<(f64, f64)> {
    let body = line.trim_end().strip_suffix(AFTER)?;
    let (head, after) = body.rsplit_once(IN_ALL)?;
    let (_, all) = head.rsplit_once("; ")?;
    Some((all.parse().ok()?, after.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_writes() {
        let line = format!(
            "consumed 14219 records from 2 shards: 14219 events, 3 rejected; all committed{}",
            format(0.0712, 0.0468)
        );
        assert!(line.ends_with("; 0.071 CPU s in all, 0.047 after start-up"));
        assert_eq!(parse(&line), Some((0.071, 0.047)));
        assert_eq!(parse(&format!("{line}\n")), Some((0.071, 0.047)));
    }

    #[test]
    fn a_line_without_the_note_has_no_figures() {
        assert_eq!(
            parse("consumed 5 records from 1 shards: 5 events, 0 rejected; all committed"),
            None
        );
        assert_eq!(parse("; x CPU s in all, 0.1 after start-up"), None);
    }
}
