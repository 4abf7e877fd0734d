//! Finds the records of a GetRecords answer while its bytes arrive, and keeps the rest.
//!
//! *Why:* reading the whole answer into one buffer before parsing it meant a fresh buffer of up
//! to 16 MB per call (a shard's backlog answer is about 6 MB on benchmark P3), every page of it
//! faulted in once and the whole answer copied once; with eight shards streaming their answers
//! at the same time that buffer was a sixth of the consumer's page faults (29.8 k → 25.3 k on
//! a P3 run, `benches/RESULTS.md`). Here each chunk is looked at once as it arrives: a record
//! that ends in the chunk is handed on straight from it, and only a record split across chunks
//! is copied (into a buffer the size of one record).
//!
//! *How it stays safe:* the splitter only removes whole elements of the top-level `Records`
//! list, and only those its caller accepts. Everything else — the other fields, `ChildShards`,
//! a record the caller does not understand and every record after it — is kept byte for byte
//! in the rest, which stays the same JSON the service sent minus the records taken, so the
//! SDK's own reader reads what is left (and fails where the answer is broken, as before).
//!
//! Strings are skipped with `memchr`, so the bytes inside a record (mostly base64) cost a
//! vectorised search rather than a branch each.

use memchr::memchr2;

/// A record longer than this is not buffered across chunks; the answer is passed on instead.
/// GetRecords data is at most 1 MiB per record, 1.4 MB as base64 in JSON.
const MAX_RECORD_TEXT: usize = 4 * 1024 * 1024;

/// The caller's verdict on one record's JSON text.
pub(crate) enum Taken {
    /// The record was taken: it is left out of the rest.
    Yes,
    /// The record was not understood: it and everything after it stay in the rest.
    No(String),
}

/// Where the splitter is in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Outside the `Records` list: bytes go to the rest.
    Outside,
    /// In the `Records` list between elements; `after_record` once an element was read.
    BetweenRecords { after_record: bool },
    /// Inside one record object.
    InRecord,
    /// Past something not understood: every byte goes to the rest.
    PassThrough,
}

/// Lexical state of the JSON outside the `Records` list (a few hundred bytes per answer).
#[derive(Debug, Default)]
struct OuterLexer {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// At depth 1, the next string is a key.
    expecting_key: bool,
    /// The key being read, while it could still be `Records`.
    key: Option<Vec<u8>>,
    /// The last key read at depth 1 was `Records`.
    key_is_records: bool,
    /// At depth 1, between a `:` and the first byte of its value.
    awaiting_value: bool,
}

/// Lexical state inside one record object.
#[derive(Debug, Default)]
struct RecordLexer {
    depth: u32,
    in_string: bool,
    escaped: bool,
}

const RECORDS_KEY: &[u8] = b"Records";

/// Splits one GetRecords answer, fed in chunks, into taken records and the rest.
#[derive(Debug)]
pub(crate) struct AnswerSplitter {
    place: Place,
    outer: OuterLexer,
    record: RecordLexer,
    /// The start of the current record, when it began in an earlier chunk.
    carry: Vec<u8>,
    rest: Vec<u8>,
    passed_on_because: Option<String>,
    /// A record was taken and the comma after it left out, and no record has begun since.
    comma_taken: bool,
}

/// The answer after its last chunk.
#[derive(Debug)]
pub(crate) struct Remainder {
    /// The answer without the records taken, for the SDK to read.
    pub rest: Vec<u8>,
    /// Why records were left in the rest, if any were.
    pub passed_on_because: Option<String>,
}

impl Default for AnswerSplitter {
    fn default() -> Self {
        AnswerSplitter {
            place: Place::Outside,
            outer: OuterLexer::default(),
            record: RecordLexer::default(),
            carry: Vec::new(),
            rest: Vec::with_capacity(512),
            passed_on_because: None,
            comma_taken: false,
        }
    }
}

impl AnswerSplitter {
    /// Reads the next chunk of the answer; `take` is offered each complete record's text.
    pub fn feed(&mut self, chunk: &[u8], take: &mut impl FnMut(&[u8]) -> Taken) {
        let mut i = 0;
        while i < chunk.len() {
            i = match self.place {
                Place::Outside => self.outside(chunk, i),
                Place::BetweenRecords { after_record } => self.between(chunk, i, after_record),
                Place::InRecord => self.in_record(chunk, i, take),
                Place::PassThrough => {
                    self.rest.extend_from_slice(&chunk[i..]);
                    chunk.len()
                }
            };
        }
    }

    /// The rest of the answer; a record cut off by the end of the body goes back into it, so the
    /// SDK sees the same truncated answer and reports it.
    pub fn finish(mut self) -> Remainder {
        if self.place == Place::InRecord {
            self.rest.append(&mut self.carry);
        }
        Remainder {
            rest: self.rest,
            passed_on_because: self.passed_on_because,
        }
    }

    fn pass_through_from(&mut self, why: String) {
        self.place = Place::PassThrough;
        self.passed_on_because.get_or_insert(why);
    }

    /// One byte outside the list; returns where to go on.
    fn outside(&mut self, chunk: &[u8], i: usize) -> usize {
        let b = chunk[i];
        let lex = &mut self.outer;
        if lex.in_string {
            if lex.escaped {
                lex.escaped = false;
                // An escaped key is never taken for `Records`; the SDK reads that list.
                lex.key = None;
            } else if b == b'\\' {
                lex.escaped = true;
            } else if b == b'"' {
                lex.in_string = false;
                if let Some(key) = lex.key.take() {
                    lex.key_is_records = key == RECORDS_KEY;
                }
            } else if let Some(key) = &mut lex.key {
                if key.len() < RECORDS_KEY.len() {
                    key.push(b);
                } else {
                    lex.key = None;
                }
            }
            self.rest.push(b);
            return i + 1;
        }
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            self.rest.push(b);
            return i + 1;
        }
        if lex.depth == 1 && lex.awaiting_value {
            lex.awaiting_value = false;
            if lex.key_is_records {
                lex.key_is_records = false;
                if b == b'[' {
                    self.rest.push(b);
                    self.place = Place::BetweenRecords {
                        after_record: false,
                    };
                    return i + 1;
                }
                self.pass_through_from(format!(
                    "Records is not a list (starts with {:?})",
                    b as char
                ));
                return i;
            }
        }
        match b {
            b'"' => {
                lex.in_string = true;
                if lex.depth == 1 && lex.expecting_key {
                    lex.key = Some(Vec::with_capacity(RECORDS_KEY.len()));
                }
            }
            b'{' | b'[' => {
                lex.depth += 1;
                lex.expecting_key = lex.depth == 1 && b == b'{';
            }
            b'}' | b']' => lex.depth = lex.depth.saturating_sub(1),
            b':' if lex.depth == 1 => {
                lex.expecting_key = false;
                lex.awaiting_value = true;
            }
            b',' if lex.depth == 1 => {
                lex.expecting_key = true;
                lex.key_is_records = false;
            }
            _ => {}
        }
        self.rest.push(b);
        i + 1
    }

    /// Between elements of the list: separators are dropped with the records they separate.
    ///
    /// *Why the `null`s:* a record taken leaves the list, and with it the comma after it. An
    /// answer broken right there (a missing comma, a trailing one, a stray byte) must stay broken
    /// for the SDK, which rejects it whole; so a `null` stands in for the record taken (found by
    /// the `get_records` fuzz target: a form feed between two records).
    fn between(&mut self, chunk: &[u8], i: usize, after_record: bool) -> usize {
        match chunk[i] {
            // JSON's whitespace, not Rust's (which also has the form feed).
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b',' if after_record => {
                self.place = Place::BetweenRecords {
                    after_record: false,
                };
                self.comma_taken = true;
            }
            b']' => {
                if self.comma_taken {
                    self.rest.extend_from_slice(b"null,");
                }
                self.rest.push(b']');
                self.place = Place::Outside;
            }
            b'{' if !after_record => {
                self.place = Place::InRecord;
                self.record = RecordLexer::default();
                self.comma_taken = false;
                return i;
            }
            b => {
                if after_record {
                    self.rest.extend_from_slice(b"null");
                } else if self.comma_taken {
                    self.rest.extend_from_slice(b"null,");
                }
                self.pass_through_from(format!("unexpected {:?} in the Records list", b as char));
                return i;
            }
        }
        i + 1
    }

    /// Inside a record starting at `start` (or in `carry`); returns where to go on.
    fn in_record(
        &mut self,
        chunk: &[u8],
        start: usize,
        take: &mut impl FnMut(&[u8]) -> Taken,
    ) -> usize {
        let lex = &mut self.record;
        let mut i = start;
        let end = loop {
            if i >= chunk.len() {
                break None;
            }
            if lex.in_string {
                if lex.escaped {
                    lex.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr2(b'"', b'\\', &chunk[i..]) {
                    None => i = chunk.len(),
                    Some(k) => {
                        if chunk[i + k] == b'\\' {
                            lex.escaped = true;
                        } else {
                            lex.in_string = false;
                        }
                        i += k + 1;
                    }
                }
                continue;
            }
            match chunk[i] {
                b'"' => lex.in_string = true,
                b'{' | b'[' => lex.depth += 1,
                b'}' | b']' => {
                    lex.depth = lex.depth.saturating_sub(1);
                    if lex.depth == 0 {
                        break Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        };
        let Some(end) = end else {
            if self.carry.len() + (chunk.len() - start) > MAX_RECORD_TEXT {
                self.rest.append(&mut self.carry);
                self.pass_through_from(format!("a record longer than {MAX_RECORD_TEXT} bytes"));
                return start;
            }
            self.carry.extend_from_slice(&chunk[start..]);
            return chunk.len();
        };
        let text: &[u8] = if self.carry.is_empty() {
            &chunk[start..end]
        } else {
            self.carry.extend_from_slice(&chunk[start..end]);
            &self.carry
        };
        match take(text) {
            Taken::Yes => {
                self.place = Place::BetweenRecords { after_record: true };
            }
            Taken::No(why) => {
                self.rest.extend_from_slice(text);
                self.pass_through_from(why);
            }
        }
        self.carry.clear();
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `answer` fed in the given chunk sizes (cycled); the taken texts and the rest.
    fn split(
        answer: &str,
        chunk_sizes: &[usize],
        refuse: &str,
    ) -> (Vec<String>, String, Option<String>) {
        let mut splitter = AnswerSplitter::default();
        let mut taken = Vec::new();
        let mut take = |text: &[u8]| {
            let text = String::from_utf8(text.to_vec()).unwrap();
            if !refuse.is_empty() && text.contains(refuse) {
                return Taken::No(format!("refused {refuse}"));
            }
            taken.push(text);
            Taken::Yes
        };
        let bytes = answer.as_bytes();
        let mut at = 0;
        for size in chunk_sizes.iter().cycle() {
            if at >= bytes.len() {
                break;
            }
            let end = (at + size).min(bytes.len());
            splitter.feed(&bytes[at..end], &mut take);
            at = end;
        }
        let remainder = splitter.finish();
        (
            taken,
            String::from_utf8(remainder.rest).unwrap(),
            remainder.passed_on_because,
        )
    }

    /// Every way of cutting `answer` into two chunks, and one-byte chunks, give `whole`'s result.
    fn same_in_every_chunking(answer: &str, refuse: &str) -> (Vec<String>, String, Option<String>) {
        let whole = split(answer, &[answer.len()], refuse);
        for cut in 1..answer.len() {
            assert_eq!(
                split(answer, &[cut, answer.len()], refuse),
                whole,
                "cut at {cut}"
            );
        }
        for sizes in [[1], [2], [3], [7]] {
            assert_eq!(split(answer, &sizes, refuse), whole, "chunks of {sizes:?}");
        }
        whole
    }

    const ANSWER: &str = r#"{"Records":[
        {"SequenceNumber":"4959","Data":"eyJldmVudCI6IkFSTSJ9","PartitionKey":"a}\"{b]["},
        {"SequenceNumber":"4960","Data":"IVJGWA==","PartitionKey":"x","Extra":{"k":[1,{"z":"}"}]}}
        ],"NextShardIterator":"AAAA\"}","MillisBehindLatest":2500}"#;

    #[test]
    fn records_are_taken_whole_and_the_rest_keeps_everything_else() {
        let (taken, rest, why) = same_in_every_chunking(ANSWER, "");
        assert_eq!(taken.len(), 2);
        assert!(
            taken[0].starts_with(r#"{"SequenceNumber":"4959""#),
            "{}",
            taken[0]
        );
        assert!(taken[0].ends_with(r#""a}\"{b]["}"#), "{}", taken[0]);
        assert!(taken[1].ends_with(r#"[1,{"z":"}"}]}}"#), "{}", taken[1]);
        assert_eq!(why, None);
        let rest: serde_json::Value = serde_json::from_str(&rest).unwrap();
        assert_eq!(
            rest,
            serde_json::json!({"Records": [], "NextShardIterator": "AAAA\"}",
                               "MillisBehindLatest": 2500})
        );
    }

    #[test]
    fn records_after_other_fields_and_child_shards_are_taken() {
        // kinesis-local writes its keys sorted, so `Records` comes last; a shard's end names
        // its children, which stay for the SDK.
        let answer = r#"{"ChildShards":[{"ShardId":"shardId-000000000004","ParentShards":["shardId-000000000001"],"HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"1"}}],"MillisBehindLatest":0,"NextShardIterator":null,"Records":[{"Data":"AA==","SequenceNumber":"1"},{"Data":"AQ==","SequenceNumber":"2"}]}"#;
        let (taken, rest, why) = same_in_every_chunking(answer, "");
        assert_eq!(
            taken,
            [
                r#"{"Data":"AA==","SequenceNumber":"1"}"#,
                r#"{"Data":"AQ==","SequenceNumber":"2"}"#
            ]
        );
        assert_eq!(why, None);
        let rest: serde_json::Value = serde_json::from_str(&rest).unwrap();
        assert_eq!(rest["Records"], serde_json::json!([]));
        assert_eq!(rest["ChildShards"][0]["ShardId"], "shardId-000000000004");
    }

    #[test]
    fn a_refused_record_and_all_after_it_stay_for_the_sdk() {
        let (taken, rest, why) = same_in_every_chunking(ANSWER, "4960");
        assert_eq!(taken.len(), 1);
        assert_eq!(why.as_deref(), Some("refused 4960"));
        let rest: serde_json::Value = serde_json::from_str(&rest).unwrap();
        assert_eq!(rest["Records"].as_array().unwrap().len(), 1);
        assert_eq!(rest["Records"][0]["SequenceNumber"], "4960");
        assert_eq!(rest["MillisBehindLatest"], 2500);
    }

    #[test]
    fn keys_that_only_look_like_records_are_not_taken() {
        for answer in [
            // A nested `Records`, a longer key, and a `Records` string value.
            r#"{"Other":{"Records":[{"a":1}]},"RecordsX":[{"b":2}],"Note":"Records","Records":[]}"#,
            // An escaped key is left to the SDK, which unescapes it.
            r#"{"R\u0065cords":[{"a":1}]}"#,
        ] {
            let (taken, rest, why) = same_in_every_chunking(answer, "");
            assert!(taken.is_empty(), "{answer}");
            assert_eq!(rest, answer);
            assert_eq!(why, None);
        }
    }

    #[test]
    fn unexpected_shapes_pass_through_unchanged() {
        for (answer, reason) in [
            (r#"{"Records":{}}"#, "Records is not a list"),
            (
                r#"{"Records":null,"MillisBehindLatest":0}"#,
                "Records is not a list",
            ),
            (r#"{"Records":[1,2]}"#, "unexpected '1'"),
        ] {
            let (taken, rest, why) = same_in_every_chunking(answer, "");
            assert!(taken.is_empty());
            assert_eq!(rest, answer);
            assert!(why.unwrap().starts_with(reason), "{answer}");
        }
        // Taken records stay taken; from the odd element on, the rest is the answer's, and a
        // `null` stands in for the record taken before it, so the rest is as broken as the
        // answer (a missing comma) and the SDK rejects it as it would the answer.
        let (taken, rest, _) =
            same_in_every_chunking(r#"{"Records":[{"a":1},{"b":2}{"c":3}]}"#, "");
        assert_eq!(taken, [r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(rest, r#"{"Records":[null{"c":3}]}"#);
    }

    #[test]
    fn a_cut_off_answer_stays_cut_off() {
        let answer = r#"{"Records":[{"Data":"AA==","SequenceNumber":"1"},{"Data":"AQ"#;
        let (taken, rest, _) = same_in_every_chunking(answer, "");
        assert_eq!(taken.len(), 1);
        assert_eq!(rest, r#"{"Records":[{"Data":"AQ"#);
        assert!(serde_json::from_str::<serde_json::Value>(&rest).is_err());
    }
}
