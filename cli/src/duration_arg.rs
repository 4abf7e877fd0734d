//! Durations on the command line and in the config file: `90s`, `15m`, `2h`, `30d`, `1w`.

use chrono::Duration;

/// Parses `<whole number><unit>` with unit s, m, h, d or w (clap value parser).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit: use s, m, h, d or w (e.g. 30d)"))?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("{text:?} does not start with a whole number"))?;
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use s, m, h, d or w"
            ));
        }
    };
    number
        .checked_mul(seconds_per_unit)
        .and_then(Duration::try_seconds)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse("15m"), Ok(Duration::minutes(15)));
        assert_eq!(parse("2h"), Ok(Duration::hours(2)));
        assert_eq!(parse("30d"), Ok(Duration::days(30)));
        assert_eq!(parse("1w"), Ok(Duration::days(7)));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse("30").unwrap_err().contains("no unit"));
        assert!(parse("d").unwrap_err().contains("whole number"));
        assert!(parse("3y").unwrap_err().contains("unknown unit"));
        assert!(parse("-3d").is_err());
        assert!(
            parse("99999999999999999w")
                .unwrap_err()
                .contains("too long")
        );
    }
}
