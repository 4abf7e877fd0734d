//! Sizes on the command line: `128MB`, `64MiB`, `1GB`, `512KB`, or a plain number of bytes.

/// Parses a size in bytes (clap value parser). Decimal units (KB, MB, GB) are powers of 1000
/// and binary ones (KiB, MiB, GiB) powers of 1024, as on S3's console and in `ls -h`.
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} does not start with a whole number"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    let bytes = number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("{text:?} is too large"))?;
    if bytes == 0 {
        return Err("a size must be more than zero".into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_decimal_and_binary_units() {
        assert_eq!(parse("128MB"), Ok(128_000_000));
        assert_eq!(parse("64MiB"), Ok(64 << 20));
        assert_eq!(parse("1 GB"), Ok(1_000_000_000));
        assert_eq!(parse("4096"), Ok(4096));
        assert!(parse("MB").is_err());
        assert!(parse("12XB").unwrap_err().contains("unknown unit"));
        assert!(parse("0MB").is_err());
        assert!(parse("99999999999999GB").unwrap_err().contains("too large"));
    }
}
