//! A JSON value that may arrive as a number or as a string.
//!
//! Producers disagree on the types of a few AlarmDecoder fields (`partition` is `"1"` from the
//! raw-line parser and `1` elsewhere; `numeric_code` is a string that some relays emit as a
//! number). [`Scalar`] accepts any JSON value in one pass, without building a `serde_json::Value`,
//! and the field's reader decides what it accepts.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    BigInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    /// An array or an object, where a scalar was expected.
    Nested,
}

impl<'a> Scalar<'a> {
    /// The JSON type name, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "boolean",
            Scalar::Int(_) | Scalar::BigInt(_) => "integer",
            Scalar::Float(_) => "number",
            Scalar::Str(_) => "string",
            Scalar::Nested => "array or object",
        }
    }

    /// An integer, given as a JSON integer or a string of decimal digits.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(*i),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The text of a string, or the decimal form of an integer.
    pub fn to_text(&self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) => Some(s.clone()),
            Scalar::Int(i) => Some(Cow::Owned(i.to_string())),
            Scalar::BigInt(i) => Some(Cow::Owned(i.to_string())),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor(std::marker::PhantomData))
    }
}

struct ScalarVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ScalarVisitor<'a> {
    type Value = Scalar<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v)
            .map(Scalar::Int)
            .unwrap_or(Scalar::BigInt(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_json_type_without_error() {
        let cases: &[(&str, Scalar)] = &[
            ("null", Scalar::Null),
            ("true", Scalar::Bool(true)),
            ("-3", Scalar::Int(-3)),
            ("18446744073709551615", Scalar::BigInt(u64::MAX)),
            ("1.5", Scalar::Float(1.5)),
            ("\"a\\nb\"", Scalar::Str(Cow::Owned("a\nb".into()))),
            ("[1,[2]]", Scalar::Nested),
            ("{\"a\":{}}", Scalar::Nested),
        ];
        for (text, expected) in cases {
            let got: Scalar = serde_json::from_str(text).unwrap();
            assert_eq!(&got, expected, "{text}");
        }
    }

    #[test]
    fn int_reads_numbers_and_digit_strings() {
        assert_eq!(Scalar::Str("007".into()).as_int(), Some(7));
        assert_eq!(Scalar::Int(1).as_int(), Some(1));
        assert_eq!(Scalar::Str("x".into()).as_int(), None);
        assert_eq!(Scalar::Float(1.0).as_int(), None);
    }
}
