//! Stores the lake cannot trust: one that ignores conditional puts (If-None-Match, here a proxy
//! in front of moto that strips the header) is refused before anything is written, because two
//! writers could then both commit one Delta version and one commit would be lost.

mod support;

use std::process::Command;

use support::fault_proxy::{Fault, FaultProxy, Rule};
use support::{S3Lake, credentials};

const KEYPAD: &str = r#"{"ac_power": true, "alarm_event_occurred": false, "alarm_sounding": false, "armed_away": false, "armed_home": false, "backlight_on": false, "battery_low": false, "beeps": 0, "bitfield": "[10000001000000003A--]", "check_zone": false, "chime_on": false, "cursor_location": -1, "entry_delay_off": false, "fire_alarm": false, "mask": 33558288, "numeric_code": "008", "panel_data": "[f702000f1008005c08020000000000]", "perimeter_only": false, "programming_mode": false, "ready": true, "text": "****DISARMED****  Ready to Arm  ", "time": "2026-03-01T10:00:00", "zone_bypassed": false}"#;

fn ingest(lake: &str, endpoint: &str, input: &std::path::Path) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(&mut command)
        .args([
            "ingest-file",
            "--no-progress",
            "--lake",
            lake,
            "--s3-endpoint",
            endpoint,
        ])
        .arg(input)
        .output()
        .unwrap()
}

#[test]
fn a_store_without_conditional_puts_is_refused_before_anything_is_written() {
    let Some(s3) = S3Lake::create("nocondition") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("keypad.ndjson");
    std::fs::write(&input, format!("{KEYPAD}\n{KEYPAD}\n")).unwrap();
    let proxy = FaultProxy::start(
        s3.endpoint.trim_start_matches("http://"),
        vec![Rule {
            needle: "PUT /",
            every: 1,
            fault: Fault::StripHeader("if-none-match"),
        }],
    );

    let refused = ingest(&s3.url(), &proxy.url, &input);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("does not refuse a second create") && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
    let keys = s3.keys();
    assert!(
        !keys
            .iter()
            .any(|k| k.ends_with(".parquet") || k.contains("_delta_log")),
        "{keys:?}"
    );

    // The same store without the proxy honours the condition, and takes the lake.
    let accepted = ingest(&s3.url(), &s3.endpoint, &input);
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    assert!(
        s3.keys()
            .iter()
            .any(|k| k.contains("alarm_events/_delta_log/"))
    );
}
