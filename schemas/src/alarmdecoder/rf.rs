//! RF receiver (`!RFX:`) messages: a wireless sensor's serial number and status byte.

use serde::Serialize;

use crate::reject::{DecodeError, RejectReason};

/// A wireless sensor report. The status byte's bits become named flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RfMessage {
    /// Kept as text: serial numbers have significant leading zeros.
    pub serial_number: String,
    pub value: u8,
    pub battery: bool,
    pub supervision: bool,
    pub loop1: bool,
    pub loop2: bool,
    pub loop3: bool,
    pub loop4: bool,
}

impl RfMessage {
    /// Builds the message from the status byte. Bit n (1-based): 2 battery low, 3 supervision,
    /// 5/6/7/8 loop 2/1/3/4.
    pub fn from_status(serial_number: String, value: u8) -> RfMessage {
        let bit = |n: u32| value & (1 << (n - 1)) != 0;
        RfMessage {
            serial_number,
            value,
            battery: bit(2),
            supervision: bit(3),
            loop1: bit(6),
            loop2: bit(5),
            loop3: bit(7),
            loop4: bit(8),
        }
    }

    /// Parses the part after `!RFX:`: `0180036,80`.
    pub fn parse_fields(fields: &str) -> Result<RfMessage, DecodeError> {
        let malformed = |why: &str| {
            DecodeError::new(
                RejectReason::MalformedRf,
                format!("{why} in RF message {fields:?}"),
            )
        };
        let (serial, status) = fields
            .split_once(',')
            .ok_or_else(|| malformed("missing status byte"))?;
        validate_serial(serial).map_err(|_| malformed("bad serial number"))?;
        if status.is_empty() || status.len() > 2 {
            return Err(malformed("status is not one hex byte"));
        }
        let value =
            u8::from_str_radix(status, 16).map_err(|_| malformed("status is not one hex byte"))?;
        Ok(RfMessage::from_status(serial.to_string(), value))
    }
}

/// Serial numbers are 1 to 10 decimal digits.
pub fn validate_serial(serial: &str) -> Result<(), DecodeError> {
    if !serial.is_empty() && serial.len() <= 10 && serial.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DecodeError::new(
            RejectReason::MalformedRf,
            format!("serial number {serial:?} is not 1 to 10 digits"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_line_and_bits() {
        let m = RfMessage::parse_fields("0180036,80").unwrap();
        assert_eq!(m.serial_number, "0180036");
        assert_eq!(m.value, 0x80);
        assert!(m.loop4 && !m.loop1 && !m.battery && !m.supervision);
        let m = RfMessage::parse_fields("0123456,06").unwrap();
        assert!(m.battery && m.supervision && !m.loop4);
        let m = RfMessage::parse_fields("0123456,30").unwrap();
        assert!(m.loop1 && m.loop2 && !m.loop3);
    }

    #[test]
    fn malformed() {
        for bad in [
            "0180036",
            "0180036,",
            "0180036,zz",
            "0180036,100",
            "018A036,80",
            ",80",
            "12345678901,80",
        ] {
            assert_eq!(
                RfMessage::parse_fields(bad).unwrap_err().reason,
                RejectReason::MalformedRf,
                "{bad}"
            );
        }
    }
}
