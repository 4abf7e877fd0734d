//! The generator's output: deterministic, decodable without a single rejection, at the real
//! keypad rate, and with the routines and reports a home really produces.

use std::collections::BTreeMap;

use alarmlake_loadtest::generator::{Format, GeneratorConfig, write_all};
use alarmlake_schemas::alarmdecoder::AlarmMessage;
use alarmlake_schemas::{Decoder, EventBody, Outcome, RawRecord, RecordPosition};
use chrono::{DateTime, Utc};

fn config(homes: usize, days: u32, seed: u64, format: Format) -> GeneratorConfig {
    let start = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    GeneratorConfig {
        homes,
        days,
        seed,
        format,
        start,
    }
}

fn generate(config: &GeneratorConfig) -> String {
    let mut out = Vec::new();
    let lines = write_all(config, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count() as u64, lines);
    text
}

/// Decodes every line; returns the events, failing on any rejection.
fn decode(text: &str) -> Vec<alarmlake_schemas::Event> {
    let decoder = Decoder::default();
    let arrival = DateTime::parse_from_rfc3339("2024-02-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut events = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let record = RawRecord {
            data: line.as_bytes().to_vec(),
            position: RecordPosition::line("file", "gen", n as u64 + 1, arrival),
        };
        for outcome in decoder.decode(&record) {
            match outcome {
                Outcome::Event(e) => events.push(e),
                other => panic!(
                    "line {} did not decode to an event: {other:?}\n{line}",
                    n + 1
                ),
            }
        }
    }
    events
}

#[test]
fn same_seed_same_lines() {
    let a = generate(&config(2, 1, 7, Format::Mixed));
    let b = generate(&config(2, 1, 7, Format::Mixed));
    assert_eq!(a, b);
    assert_ne!(a, generate(&config(2, 1, 8, Format::Mixed)));
}

#[test]
fn one_home_day_of_json_dicts() {
    let text = generate(&config(1, 1, 42, Format::Json));
    let events = decode(&text);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lrr_codes = Vec::new();
    for e in &events {
        assert_eq!(e.site, "home-0001", "the relay's site field names the home");
        let EventBody::Alarm(a) = &e.body else {
            panic!("json format is AlarmDecoder only")
        };
        *kinds.entry(a.message.message_type()).or_default() += 1;
        if let AlarmMessage::Lrr(l) = &a.message {
            lrr_codes.push((l.event_code, l.event_status));
        }
        let t = e.event_time;
        assert!(
            t >= config(1, 1, 42, Format::Json).start && t.timestamp() < 1_704_153_600,
            "{t} inside the day"
        );
    }
    // The keypad bus repeats its display every ~2.6 s: about 33,000 messages a day.
    let keypad = kinds["keypad"];
    assert!(
        (30_000..36_000).contains(&keypad),
        "{keypad} keypad messages"
    );
    assert!(kinds.contains_key("lrr"));
    assert!(
        lrr_codes.contains(&(Some(0x401), Some(1))),
        "a user disarmed: {lrr_codes:?}"
    );
    assert!(
        lrr_codes.contains(&(Some(0x441), Some(3))),
        "armed stay at night: {lrr_codes:?}"
    );
}

#[test]
fn raw_lines_and_mode_format_decode() {
    let raw = decode(&generate(&config(1, 1, 3, Format::Raw)));
    let raw_types: std::collections::BTreeSet<&str> = raw
        .iter()
        .map(|e| match &e.body {
            EventBody::Alarm(a) => a.message.message_type(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        raw_types.contains("keypad") && raw_types.contains("lrr"),
        "{raw_types:?}"
    );

    let mode = decode(&generate(&config(3, 1, 3, Format::Mode)));
    let heartbeats = mode
        .iter()
        .filter(|e| matches!(&e.body, EventBody::Mode(m) if m.event_type == "heartbeat"))
        .count();
    assert_eq!(
        heartbeats,
        3 * 288,
        "one heartbeat every five minutes from each hub"
    );
    assert!(
        mode.iter().any(|e| matches!(&e.body, EventBody::Camera(_))),
        "motion makes camera clips"
    );
    assert!(mode.iter().all(|e| !matches!(&e.body, EventBody::Alarm(_))));
}

#[test]
fn many_homes_over_weeks_have_alarms_and_power_loss() {
    let events = decode(
        &generate(&config(4, 30, 11, Format::Mixed))
            .lines()
            .filter(|l| !l.starts_with("{\"ac_power\""))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let sites: std::collections::BTreeSet<&str> = events.iter().map(|e| e.site.as_str()).collect();
    assert!(sites.contains("home-0004"));
    let lrr = |code: u16| {
        events.iter().any(|e| matches!(&e.body, EventBody::Alarm(a) if matches!(&a.message, AlarmMessage::Lrr(l) if l.event_code == Some(code))))
    };
    assert!(
        lrr(0x134),
        "four homes over a month have at least one false alarm"
    );
    assert!(lrr(0x301), "and at least one AC loss");
    let power = events
        .iter()
        .filter(|e| matches!(&e.body, EventBody::Mode(m) if m.event_type == "power-status"))
        .count();
    assert!(
        power >= 2 && power % 2 == 0,
        "power off and back on: {power}"
    );
}

/// The events the monitoring reports need: each panel's periodic test once a day at its own
/// time, troubles that open and clear again, a door lock that follows arming away, and every
/// eighth panel (from the third) going silent in the last two days while its MODE hub goes on.
#[test]
fn panels_test_daily_troubles_clear_and_a_few_panels_go_silent() {
    let days = 20;
    let events = decode(&generate(&config(3, days, 11, Format::Mixed)));
    let lrr = |e: &alarmlake_schemas::Event| match &e.body {
        EventBody::Alarm(a) => match &a.message {
            AlarmMessage::Lrr(l) => l.event_code.map(|c| (c, l.event_status.unwrap_or(0))),
            _ => None,
        },
        _ => None,
    };
    let mut tests: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut troubles: BTreeMap<(&str, u16), i64> = BTreeMap::new();
    for e in &events {
        match lrr(e) {
            Some((0x602, 1)) => tests.entry(&e.site).or_default().push(e.event_time),
            Some((code @ (0x381 | 0x383 | 0x384), status)) => {
                *troubles.entry((&e.site, code)).or_default() += if status == 1 { 1 } else { -1 }
            }
            _ => {}
        }
    }
    for site in ["home-0001", "home-0002"] {
        let times = &tests[site];
        assert_eq!(times.len(), days as usize, "{site}: one test a day");
        assert!(
            times
                .windows(2)
                .all(|w| (w[1] - w[0]).num_seconds() == 86_400),
            "{site}: every 24 h"
        );
    }
    assert!(
        troubles
            .keys()
            .any(|(_, code)| *code == 0x381 || *code == 0x383),
        "twenty days of three homes have a supervision loss or a tamper: {troubles:?}"
    );
    // A trouble still open at the end is one that opened near it; the others all cleared.
    assert!(
        troubles.values().all(|open| (0..=1).contains(open)),
        "{troubles:?}"
    );

    let end = config(3, days, 11, Format::Mixed).start + chrono::Duration::days(days.into());
    let last_panel_line = |site: &str| {
        events
            .iter()
            .filter(|e| e.site == site && matches!(e.body, EventBody::Alarm(_)))
            .map(|e| e.event_time)
            .max()
            .unwrap()
    };
    let silent_for = end - last_panel_line("home-0003");
    assert!(
        silent_for >= chrono::Duration::days(1) && silent_for <= chrono::Duration::days(2),
        "home-0003 goes silent in the last two days: {silent_for}"
    );
    assert!(end - last_panel_line("home-0001") < chrono::Duration::minutes(1));
    let last_mode = events
        .iter()
        .filter(|e| e.site == "1003" && matches!(e.body, EventBody::Mode(_)))
        .map(|e| e.event_time)
        .max()
        .unwrap();
    assert!(
        end - last_mode < chrono::Duration::minutes(10),
        "its hub goes on"
    );
    let locks = events
        .iter()
        .filter(|e| matches!(&e.body, EventBody::Mode(m) if m.event_type == "lock-status"))
        .count();
    assert!(
        locks >= 2 * 10,
        "the door locks on workdays and unlocks: {locks}"
    );
}
