//! Lines as the devices and relays write them: AlarmDecoder serial lines, the relay's
//! `json.dumps(message.dict(), sort_keys=True)`, MODE events and S3 notifications.

use std::fmt::Write;

use alarmlake_schemas::alarmdecoder::contact_id::{self, Source};

use super::clock::{write_iso_naive, write_rfc3339_millis};

/// What a keypad message shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keypad {
    pub ready: bool,
    pub armed_away: bool,
    pub armed_home: bool,
    pub backlight_on: bool,
    pub beeps: u8,
    pub ac_power: bool,
    pub chime_on: bool,
    pub alarm_event_occurred: bool,
    pub alarm_sounding: bool,
    pub battery_low: bool,
    pub perimeter_only: bool,
    pub dsc: bool,
    pub numeric_code: u16,
    pub text: String,
}

impl Keypad {
    fn bitfield(&self) -> String {
        let b = |v: bool| if v { '1' } else { '0' };
        let beeps = char::from_digit(u32::from(self.beeps.min(15)), 16).unwrap_or('0');
        let flags = [
            b(self.ready),
            b(self.armed_away),
            b(self.armed_home),
            b(self.backlight_on),
            '0',
            beeps,
            '0',
            b(self.ac_power),
            b(self.chime_on),
            b(self.alarm_event_occurred),
            b(self.alarm_sounding),
            b(self.battery_low),
            '0',
            '0',
            '0',
            b(self.perimeter_only),
        ];
        let panel = if self.dsc { 'D' } else { 'A' };
        format!("[{}0{panel}0-]", flags.iter().collect::<String>())
    }

    fn panel_data(&self) -> &'static str {
        if self.dsc {
            "[000200000000000000000000]"
        } else {
            "[f702000f1008005c08020000000000]"
        }
    }

    fn mask(&self) -> u32 {
        if self.dsc { 0x0200_0000 } else { 0x0200_0f10 }
    }
}

/// The 32-character display: two 16-character lines.
pub fn display(line1: &str, line2: &str) -> String {
    format!("{line1:<16.16}{line2:<16.16}")
}

/// Text that runs on from the first line into the second, as zone names do on a keypad.
pub fn display_wrapped(text: &str) -> String {
    format!("{text:<32.32}")
}

fn json_bool(v: bool) -> &'static str {
    if v { "true" } else { "false" }
}

/// Appends `"site": "…", ` — a field the relay adds so that one file can hold many homes.
fn site_field(out: &mut String, site: Option<&str>) {
    if let Some(site) = site {
        let _ = write!(out, "\"site\": \"{site}\", ");
    }
}

pub fn keypad_raw(out: &mut String, k: &Keypad) {
    let _ = write!(
        out,
        "{},{:03},{},\"{}\"",
        k.bitfield(),
        k.numeric_code,
        k.panel_data(),
        k.text
    );
}

pub fn keypad_json(out: &mut String, k: &Keypad, micros: i64, site: Option<&str>) {
    let _ = write!(
        out,
        "{{\"ac_power\": {}, \"alarm_event_occurred\": {}, \"alarm_sounding\": {}, \"armed_away\": {}, \"armed_home\": {}, \"backlight_on\": {}, \"battery_low\": {}, \"beeps\": {}, \"bitfield\": \"{}\", \"check_zone\": false, \"chime_on\": {}, \"cursor_location\": -1, \"entry_delay_off\": false, \"fire_alarm\": false, \"mask\": {}, \"numeric_code\": \"{:03}\", \"panel_data\": \"{}\", \"perimeter_only\": {}, \"programming_mode\": false, \"ready\": {}, ",
        json_bool(k.ac_power),
        json_bool(k.alarm_event_occurred),
        json_bool(k.alarm_sounding),
        json_bool(k.armed_away),
        json_bool(k.armed_home),
        json_bool(k.backlight_on),
        json_bool(k.battery_low),
        k.beeps,
        k.bitfield(),
        json_bool(k.chime_on),
        k.mask(),
        k.numeric_code,
        k.panel_data(),
        json_bool(k.perimeter_only),
        json_bool(k.ready),
    );
    site_field(out, site);
    let _ = write!(out, "\"text\": \"{}\", \"time\": \"", k.text);
    write_iso_naive(out, micros);
    out.push_str("\", \"zone_bypassed\": false}");
}

/// RF status byte: bit 2 battery, bit 3 supervision, bit 6 loop 1.
pub fn rf_value(battery: bool, supervision: bool, loop1: bool) -> u8 {
    (u8::from(battery) << 1) | (u8::from(supervision) << 2) | (u8::from(loop1) << 5)
}

pub fn rf_raw(out: &mut String, serial: u32, value: u8) {
    let _ = write!(out, "!RFX:{serial:07},{value:02x}");
}

pub fn rf_json(out: &mut String, serial: u32, value: u8, micros: i64, site: Option<&str>) {
    let _ = write!(
        out,
        "{{\"battery\": {}, \"serial_number\": \"{serial:07}\", ",
        json_bool(value & 2 != 0)
    );
    site_field(out, site);
    let _ = write!(
        out,
        "\"supervision\": {}, \"time\": \"",
        json_bool(value & 4 != 0)
    );
    write_iso_naive(out, micros);
    let _ = write!(out, "\", \"value\": {value}}}");
}

pub fn expander_raw(out: &mut String, address: u8, channel: u8, value: u8) {
    let _ = write!(out, "!EXP:{address:02},{channel:02},{value:02}");
}

pub fn expander_json(
    out: &mut String,
    address: u8,
    channel: u8,
    value: u8,
    micros: i64,
    site: Option<&str>,
) {
    let _ = write!(out, "{{\"address\": {address}, \"channel\": {channel}, ");
    site_field(out, site);
    out.push_str("\"time\": \"");
    write_iso_naive(out, micros);
    let _ = write!(out, "\", \"value\": {value}}}");
}

/// A Contact ID report: qualifier 1 (event/opening) or 3 (restore/closing), code, user or zone.
pub fn lrr_raw(out: &mut String, qualifier: u8, code: u16, data: u16) {
    let _ = write!(out, "!LRR:{data:03},1,CID_{qualifier}{code:03x},ff");
}

pub fn lrr_json(
    out: &mut String,
    qualifier: u8,
    code: u16,
    data: u16,
    micros: i64,
    site: Option<&str>,
) {
    let description = contact_id::describe(Source::ContactId, code).unwrap_or("Unknown");
    let _ = write!(
        out,
        "{{\"event_code\": \"{code:#x}\", \"event_data\": \"{data:03}\", \"event_data_type\": \"{}\", \"event_description\": \"{description}\", \"event_prefix\": \"CID\", \"event_source\": 1, \"event_status\": {qualifier}, \"event_type\": \"CID_{qualifier}{code:03x}\", \"partition\": \"1\", \"report_code\": \"ff\", ",
        contact_id::data_type(code).as_str()
    );
    site_field(out, site);
    out.push_str("\"time\": \"");
    write_iso_naive(out, micros);
    out.push_str("\"}");
}

/// A MODE event; `data` is the eventData object's JSON.
pub fn mode_event(
    out: &mut String,
    home_id: u32,
    micros: i64,
    event_type: &str,
    data: &str,
    device: u32,
    class: &str,
) {
    let _ = write!(out, "{{\"homeId\":{home_id},\"timestamp\":\"");
    write_rfc3339_millis(out, micros);
    let _ = write!(
        out,
        "\",\"eventType\":\"{event_type}\",\"eventData\":{data},\"originDeviceId\":{device},\"originDeviceClass\":\"{class}\"}}"
    );
}

/// An S3 notification for a camera clip under `patrolcams/…`.
pub fn camera_clip(out: &mut String, camera: &str, micros: i64, size: u32, etag: u64) {
    let t = super::clock::to_datetime(micros);
    let _ = write!(
        out,
        "{{\"Records\":[{{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"eventTime\":\""
    );
    write_rfc3339_millis(out, micros);
    let _ = write!(
        out,
        "\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{{\"bucket\":{{\"name\":\"patrol-uploads\"}},\"object\":{{\"key\":\"patrolcams/{camera}/{}/Hour-{}/record/{}.mp4\",\"size\":{size},\"eTag\":\"{etag:016x}{etag:016x}\"}}}}}}]}}",
        t.format("%Y-%m-%d"),
        t.format("%H"),
        t.format("%H%M%S"),
    );
}
