//! Property tests: random keypad bitfields decode back to the flags they were built from, KPL
//! aggregates of random records de-aggregate to the same records, and no input of any shape
//! makes the decoder panic or lose a record.

mod common;

use alarmlake_schemas::alarmdecoder::AlarmMessage;
use alarmlake_schemas::alarmdecoder::keypad::PanelType;
use alarmlake_schemas::{Decoder, EventBody, LakeBatches, Outcome, Tally, kpl};
use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Bits {
    flags: [bool; 15],
    set_char: [bool; 15],
    beeps: u8,
    system_fault: Option<u8>,
    dsc: bool,
}

fn bits() -> impl Strategy<Value = Bits> {
    (
        any::<[bool; 15]>(),
        any::<[bool; 15]>(),
        0u8..16,
        proptest::option::of(0u8..16),
        any::<bool>(),
    )
        .prop_map(|(flags, set_char, beeps, system_fault, dsc)| Bits {
            flags,
            set_char,
            beeps,
            system_fault,
            dsc,
        })
}

/// Builds the 20-character bitfield: a set flag is written as '1' or '-' (both count as set).
fn bitfield(b: &Bits) -> String {
    let flag_positions = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    let mut chars = ['0'; 20];
    for (i, pos) in flag_positions.iter().enumerate() {
        chars[pos - 1] = if !b.flags[i] {
            '0'
        } else if b.set_char[i] {
            '1'
        } else {
            '-'
        };
    }
    chars[5] = char::from_digit(u32::from(b.beeps), 16).unwrap();
    chars[16] = b.system_fault.map_or('-', |f| {
        char::from_digit(u32::from(f), 16)
            .unwrap()
            .to_ascii_uppercase()
    });
    chars[17] = if b.dsc { 'D' } else { 'A' };
    chars[18] = '-';
    chars[19] = '-';
    format!("[{}]", chars.iter().collect::<String>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn keypad_bitfields_round_trip(b in bits(), code in 0u16..1000, text in "[ -~]{32}") {
        let line = format!("{},{code:03},[f702000f1008005c08020000000000],\"{text}\"", bitfield(&b));
        let event = only_event(&Decoder::default(), &line_record(&line, 1));
        let AlarmMessage::Keypad(k) = &alarm(&event).message else { panic!("not keypad") };
        let f = k.flags;
        let decoded = [
            f.ready, f.armed_away, f.armed_home, f.backlight_on, f.programming_mode, f.zone_bypassed, f.ac_power,
            f.chime_on, f.alarm_event_occurred, f.alarm_sounding, f.battery_low, f.entry_delay_off, f.fire_alarm,
            f.check_zone, f.perimeter_only,
        ];
        prop_assert_eq!(decoded, b.flags);
        prop_assert_eq!(f.beeps, b.beeps);
        prop_assert_eq!(k.system_fault, b.system_fault);
        prop_assert_eq!(k.panel_type, Some(if b.dsc { PanelType::Dsc } else { PanelType::Ademco }));
        prop_assert_eq!(&k.text, &text);
        prop_assert_eq!(k.numeric_code.parse::<u16>().ok(), Some(code));
    }

    #[test]
    fn kpl_aggregates_round_trip(
        records in proptest::collection::vec(
            (0usize..4, proptest::option::of(0usize..3), proptest::collection::vec(any::<u8>(), 0..300)),
            1..40,
        )
    ) {
        let users: Vec<kpl::UserRecord> = records
            .into_iter()
            .map(|(pk, ehk, data)| kpl::UserRecord {
                partition_key: format!("home-{pk}"),
                explicit_hash_key: ehk.map(|h| format!("{}", (h as u128) << 100)),
                data,
            })
            .collect();
        let aggregate = kpl::aggregate(&users);
        prop_assert_eq!(kpl::deaggregate(&aggregate), Some(users));
    }

    #[test]
    fn arbitrary_bytes_never_panic_or_vanish(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_accounting(&data);
    }

    #[test]
    fn mutated_real_lines_never_panic_or_vanish(seed in 0usize..13, cut in 0usize..120, insert in "[ -~\\n\\r\\x00]{0,4}") {
        let text = fixture("formats-md.txt") + &fixture("dict-records.ndjson");
        let line = text.lines().nth(seed % text.lines().count()).unwrap_or("");
        let cut = cut.min(line.len());
        let cut = (0..=cut).rev().find(|i| line.is_char_boundary(*i)).unwrap_or(0);
        let mutated = format!("{}{insert}{}", &line[..cut], &line[cut..]);
        check_accounting(mutated.as_bytes());
        check_accounting(&line.as_bytes()[..cut]);
    }
}

/// Decodes `data` and checks that every unit is accounted for and every outcome makes a row.
fn check_accounting(data: &[u8]) {
    let record = kinesis_record(data, Some("site"));
    let mut outcomes = Vec::new();
    for r in kpl::deaggregate_record(record) {
        let out = Decoder::default().decode(&r);
        assert!(!out.is_empty(), "record {data:?} produced no outcome");
        outcomes.extend(out.into_iter().map(|o| (r.position.clone(), o)));
    }
    let mut tally = Tally::default();
    let mut batches = LakeBatches::new(arrival());
    for (position, outcome) in &outcomes {
        tally.add(outcome);
        batches.append(position, outcome);
        if let Outcome::Event(e) = outcome {
            assert!(
                !matches!(e.body, EventBody::Bulk(_)),
                "the default decoder never makes bulk records"
            );
        }
    }
    assert_eq!(tally.total() as usize, outcomes.len());
    assert_eq!(batches.len() as u64, tally.events + tally.rejected);
    let rows: usize = batches
        .finish()
        .expect("batches build")
        .iter()
        .map(|(_, b)| b.num_rows())
        .sum();
    assert_eq!(rows as u64, tally.events + tally.rejected);
}
