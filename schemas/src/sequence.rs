//! Kinesis sequence numbers: decimal strings of up to 129 digits (about 56 in practice).
//!
//! They overflow u128, so they are compared as big integers in text form: a shorter number is
//! smaller, and numbers of equal length compare lexicographically.

use std::cmp::Ordering;
use std::fmt;

/// A validated Kinesis sequence number with the ordering of the integer it spells.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceNumber(String);

/// The text was not a decimal sequence number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sequence number {0:?}: expected 1 to 129 decimal digits")]
pub struct InvalidSequenceNumber(pub String);

impl SequenceNumber {
    pub fn parse(text: &str) -> Result<Self, InvalidSequenceNumber> {
        canonical_digits(text)
            .map(|digits| SequenceNumber(digits.to_string()))
            .ok_or_else(|| InvalidSequenceNumber(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A text's place in the order of sequence numbers, without building a [`SequenceNumber`]:
/// valid numbers by the integers they spell, anything else as plain text after every valid
/// number. Per-row comparisons (the position range of every file) used to parse, and so
/// allocate, both sides each time; a key is worked out once per text and borrows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SequenceKey<'a> {
    /// A valid number: its digits without leading zeros, compared by length, then as text.
    Number(usize, &'a str),
    /// Not a sequence number: compared as text, after every number.
    Text(&'a str),
}

impl<'a> SequenceKey<'a> {
    pub fn of(text: &'a str) -> SequenceKey<'a> {
        match canonical_digits(text) {
            Some(digits) => SequenceKey::Number(digits.len(), digits),
            None => SequenceKey::Text(text),
        }
    }
}

/// The digits of a valid sequence number without leading zeros ("0" for zero); `None` if the
/// text is not one. Leading zeros would break the length rule; Kinesis never sends them, but
/// stripping them makes "007" and "7" the same number.
fn canonical_digits(text: &str) -> Option<&str> {
    let valid = !text.is_empty() && text.len() <= 129 && text.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    let trimmed = text.trim_start_matches('0');
    Some(if trimmed.is_empty() { "0" } else { trimmed })
}

impl Ord for SequenceNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for SequenceNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_as_integers_not_text() {
        let a = SequenceNumber::parse("9").unwrap();
        let b = SequenceNumber::parse("10").unwrap();
        assert!(a < b, "9 < 10 although \"9\" > \"10\" as text");
        let long = "49590338271490256608559692538361571095921575989136588898";
        let longer = format!("{long}0");
        assert!(SequenceNumber::parse(long).unwrap() < SequenceNumber::parse(&longer).unwrap());
        assert_eq!(
            SequenceNumber::parse("007").unwrap(),
            SequenceNumber::parse("7").unwrap()
        );
    }

    #[test]
    fn keys_order_as_parsed_numbers() {
        let texts = [
            "7",
            "007",
            "10",
            "9",
            "49590338271490256608559692538361571095921575989136588898",
            "0",
            "000",
        ];
        for a in texts {
            for b in texts {
                let parsed = SequenceNumber::parse(a)
                    .unwrap()
                    .cmp(&SequenceNumber::parse(b).unwrap());
                assert_eq!(
                    SequenceKey::of(a).cmp(&SequenceKey::of(b)),
                    parsed,
                    "{a} vs {b}"
                );
            }
        }
        assert_eq!(
            SequenceKey::of("12").cmp(&SequenceKey::of("x")),
            Ordering::Less
        );
        assert_eq!(
            SequenceKey::of("y").cmp(&SequenceKey::of("x")),
            Ordering::Greater
        );
    }

    #[test]
    fn rejects_non_digits_and_overlong() {
        assert!(SequenceNumber::parse("").is_err());
        assert!(SequenceNumber::parse("12a").is_err());
        assert!(SequenceNumber::parse(&"1".repeat(130)).is_err());
        assert!(SequenceNumber::parse(&"1".repeat(129)).is_ok());
    }
}
