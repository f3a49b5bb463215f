//! The one duration grammar of the workspace: every flag (vault, ca-sim, scenarios) and every
//! scenario file reads durations through [`parse`].
//!
//! A duration is a non-negative number, optionally with a fraction, followed by a unit:
//! `ms`, `s`, `m`, `h` or `d` (`250ms`, `5s`, `1.5s`, `2m`, `1h`, `1d`). A bare number means
//! seconds (`0`, `30`), so numeric environment values keep working.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::Duration;

/// The forms the grammar accepts, for error messages.
pub const ACCEPTED_FORMS: &str =
    "a number with a unit ms, s, m, h or d (250ms, 5s, 2m, 1h, 1d); a bare number means seconds";

/// Parses one duration. The error says what was wrong and which forms are accepted; clap
/// prefixes it with the flag's name when used as a `value_parser`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    if number.is_empty() {
        return Err(format!("'{text}' is not a duration: use {ACCEPTED_FORMS}"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration: use {ACCEPTED_FORMS}"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        _ => {
            return Err(format!(
                "'{text}' has an unknown unit '{unit}': use {ACCEPTED_FORMS}"
            ))
        }
    };
    // `Duration::try_from_secs_f64` refuses NaN, negative and overflowing values.
    Duration::try_from_secs_f64(secs).map_err(|_| format!("'{text}' is out of range"))
}

/// A duration field of a TOML or JSON file: a string in the [`parse`] grammar, or a
/// non-negative number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Float(f64),
            Text(String),
        }
        let duration = match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Duration::from_secs(n)),
            Raw::Float(f) => Duration::try_from_secs_f64(f)
                .map_err(|_| format!("{f} is not a duration: use {ACCEPTED_FORMS}")),
            Raw::Text(t) => parse(&t),
        };
        duration.map(Dur).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Dur {
    /// In the [`parse`] grammar, in milliseconds, so a written config reads back the same.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}ms", self.0.as_millis()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_and_bare_seconds() {
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse(" 30 ").unwrap(), Duration::from_secs(30));
    }

    #[test]
    fn bad_values_name_the_accepted_forms() {
        for bad in ["", "x", "5 parsecs", "-1s", "1w", "ms", "1e400s", "1..2s"] {
            let err = parse(bad).unwrap_err();
            assert!(
                err.contains("ms, s, m, h or d") || err.contains("out of range"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn file_fields_take_strings_and_numbers() {
        #[derive(Deserialize)]
        struct F {
            a: Dur,
            b: Dur,
            c: Dur,
        }
        let f: F = serde_json::from_str(r#"{"a":"2m","b":3,"c":0.5}"#).unwrap();
        assert_eq!(f.a.0, Duration::from_secs(120));
        assert_eq!(f.b.0, Duration::from_secs(3));
        assert_eq!(f.c.0, Duration::from_millis(500));
        assert!(serde_json::from_str::<F>(r#"{"a":"2 fortnights","b":3,"c":1}"#).is_err());
        assert!(serde_json::from_str::<F>(r#"{"a":"1s","b":3,"c":-1.0}"#).is_err());
    }
}
