//! `alarm_events`: every AlarmDecoder message. Columns are named after the alarmdecoder
//! library's `dict()` keys, so SQL written in Athena against the Firehose JSON keeps working;
//! each message type fills its own columns and leaves the others null.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use chrono::{DateTime, Utc};

use super::common::CommonBuilder;
use crate::alarmdecoder::keypad::KeypadFlags;
use crate::alarmdecoder::lrr::code_text;
use crate::alarmdecoder::{AlarmEvent, AlarmMessage};
use crate::event::Event;
use crate::position::RecordPosition;

/// Reads one flag.
type FlagReader = fn(&KeypadFlags) -> bool;

/// The keypad flags, in column order, with how to read each from the flags.
const FLAGS: [(&str, FlagReader); 15] = [
    ("ready", |f| f.ready),
    ("armed_away", |f| f.armed_away),
    ("armed_home", |f| f.armed_home),
    ("backlight_on", |f| f.backlight_on),
    ("programming_mode", |f| f.programming_mode),
    ("zone_bypassed", |f| f.zone_bypassed),
    ("ac_power", |f| f.ac_power),
    ("chime_on", |f| f.chime_on),
    ("alarm_event_occurred", |f| f.alarm_event_occurred),
    ("alarm_sounding", |f| f.alarm_sounding),
    ("battery_low", |f| f.battery_low),
    ("entry_delay_off", |f| f.entry_delay_off),
    ("fire_alarm", |f| f.fire_alarm),
    ("check_zone", |f| f.check_zone),
    ("perimeter_only", |f| f.perimeter_only),
];

const RF_FLAGS: [&str; 6] = ["battery", "supervision", "loop1", "loop2", "loop3", "loop4"];

pub fn fields() -> Vec<Field> {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let int = |name: &str| Field::new(name, DataType::Int32, true);
    let boolean = |name: &str| Field::new(name, DataType::Boolean, true);
    let mut fields = vec![
        Field::new("message_type", DataType::Utf8, false),
        text("time"),
        text("raw"),
    ];
    fields.extend(FLAGS.iter().map(|(name, _)| boolean(name)));
    fields.extend([
        int("beeps"),
        int("system_fault"),
        text("panel_type"),
        text("bitfield"),
        text("numeric_code"),
        text("panel_data"),
        Field::new("mask", DataType::Int64, true),
        int("cursor_location"),
        text("text"),
        text("arm_state"),
        text("zone_event"),
        int("zone"),
        text("zone_name"),
        Field::new("address", DataType::Int64, true),
        Field::new("channel", DataType::Int64, true),
        Field::new("value", DataType::Int64, true),
        text("serial_number"),
    ]);
    fields.extend(RF_FLAGS.iter().map(|name| boolean(name)));
    fields.extend([
        text("event_data"),
        int("partition"),
        text("event_type"),
        text("report_code"),
        text("event_prefix"),
        int("event_source"),
        int("event_status"),
        text("event_code"),
        text("event_description"),
        text("event_data_type"),
        int("lrr_version"),
        text("aui_value"),
    ]);
    fields
}

#[derive(Default)]
pub struct AlarmEventsBuilder {
    common: CommonBuilder,
    message_type: StringBuilder,
    time: StringBuilder,
    raw: StringBuilder,
    flags: [BooleanBuilder; 15],
    beeps: Int32Builder,
    system_fault: Int32Builder,
    panel_type: StringBuilder,
    bitfield: StringBuilder,
    numeric_code: StringBuilder,
    panel_data: StringBuilder,
    mask: Int64Builder,
    cursor_location: Int32Builder,
    text: StringBuilder,
    arm_state: StringBuilder,
    zone_event: StringBuilder,
    zone: Int32Builder,
    zone_name: StringBuilder,
    address: Int64Builder,
    channel: Int64Builder,
    value: Int64Builder,
    serial_number: StringBuilder,
    rf_flags: [BooleanBuilder; 6],
    event_data: StringBuilder,
    partition: Int32Builder,
    event_type: StringBuilder,
    report_code: StringBuilder,
    event_prefix: StringBuilder,
    event_source: Int32Builder,
    event_status: Int32Builder,
    event_code: StringBuilder,
    event_description: StringBuilder,
    event_data_type: StringBuilder,
    lrr_version: Int32Builder,
    aui_value: StringBuilder,
}

impl AlarmEventsBuilder {
    pub fn append(&mut self, position: &RecordPosition, event: &Event, body: &AlarmEvent) {
        self.common
            .append(position, &event.site, event.event_time, event.index);
        self.message_type.append_value(body.message.message_type());
        self.time.append_option(body.time.as_deref());
        self.raw.append_option(body.raw.as_deref());
        let keypad = match &body.message {
            AlarmMessage::Keypad(k) => Some(k),
            _ => None,
        };
        for (builder, (_, read)) in self.flags.iter_mut().zip(FLAGS) {
            builder.append_option(keypad.map(|k| read(&k.flags)));
        }
        self.beeps
            .append_option(keypad.map(|k| i32::from(k.flags.beeps)));
        self.system_fault
            .append_option(keypad.and_then(|k| k.system_fault).map(i32::from));
        self.panel_type
            .append_option(keypad.and_then(|k| k.panel_type).map(|p| p.as_str()));
        self.bitfield.append_option(
            keypad
                .map(|k| k.bitfield.as_str())
                .filter(|b| !b.is_empty()),
        );
        self.numeric_code
            .append_option(keypad.map(|k| k.numeric_code.as_str()));
        self.panel_data
            .append_option(keypad.map(|k| k.panel_data.as_str()));
        self.mask.append_option(keypad.map(|k| i64::from(k.mask)));
        self.cursor_location
            .append_option(keypad.map(|k| k.cursor_location));
        self.text.append_option(keypad.map(|k| k.text.as_str()));
        self.arm_state
            .append_option(keypad.and_then(|k| k.meaning.arm_state).map(|a| a.as_str()));
        self.zone_event.append_option(
            keypad
                .and_then(|k| k.meaning.zone_event)
                .map(|z| z.as_str()),
        );
        self.zone
            .append_option(keypad.and_then(|k| k.meaning.zone).map(i32::from));
        self.zone_name
            .append_option(keypad.and_then(|k| k.meaning.zone_name.as_deref()));

        let expander = match &body.message {
            AlarmMessage::Expander(e) => Some(e),
            _ => None,
        };
        let rf = match &body.message {
            AlarmMessage::Rf(r) => Some(r),
            _ => None,
        };
        self.address
            .append_option(expander.map(|e| i64::from(e.address)));
        self.channel
            .append_option(expander.map(|e| i64::from(e.channel)));
        self.value
            .append_option(expander.map(|e| e.value).or(rf.map(|r| i64::from(r.value))));
        self.serial_number
            .append_option(rf.map(|r| r.serial_number.as_str()));
        let rf_bits = rf.map(|r| [r.battery, r.supervision, r.loop1, r.loop2, r.loop3, r.loop4]);
        for (i, builder) in self.rf_flags.iter_mut().enumerate() {
            builder.append_option(rf_bits.map(|bits| bits[i]));
        }

        let lrr = match &body.message {
            AlarmMessage::Lrr(l) => Some(l),
            _ => None,
        };
        self.event_data
            .append_option(lrr.map(|l| l.event_data.as_str()));
        self.partition.append_option(lrr.map(|l| l.partition));
        self.event_type
            .append_option(lrr.map(|l| l.event_type.as_str()));
        self.report_code
            .append_option(lrr.and_then(|l| l.report_code.as_deref()));
        self.event_prefix
            .append_option(lrr.and_then(|l| l.event_prefix.as_deref()));
        self.event_source
            .append_option(lrr.and_then(|l| l.event_source).map(i32::from));
        self.event_status
            .append_option(lrr.and_then(|l| l.event_status).map(i32::from));
        self.event_code
            .append_option(lrr.and_then(|l| l.event_code).map(code_text));
        self.event_description
            .append_option(lrr.and_then(|l| l.event_description.as_deref()));
        self.event_data_type
            .append_option(lrr.and_then(|l| l.event_data_type).map(|d| d.as_str()));
        self.lrr_version
            .append_option(lrr.map(|l| i32::from(l.version)));

        self.aui_value.append_option(match &body.message {
            AlarmMessage::Aui(a) => Some(a.aui_value.as_str()),
            _ => None,
        });
    }

    pub fn len(&self) -> usize {
        self.common.len()
    }

    pub fn is_empty(&self) -> bool {
        self.common.is_empty()
    }

    pub fn finish(&mut self, ingest_time: DateTime<Utc>) -> Vec<ArrayRef> {
        let mut columns = self.common.finish(ingest_time);
        columns.push(Arc::new(self.message_type.finish()));
        columns.push(Arc::new(self.time.finish()));
        columns.push(Arc::new(self.raw.finish()));
        columns.extend(
            self.flags
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        let keypad: [ArrayRef; 17] = [
            Arc::new(self.beeps.finish()),
            Arc::new(self.system_fault.finish()),
            Arc::new(self.panel_type.finish()),
            Arc::new(self.bitfield.finish()),
            Arc::new(self.numeric_code.finish()),
            Arc::new(self.panel_data.finish()),
            Arc::new(self.mask.finish()),
            Arc::new(self.cursor_location.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.arm_state.finish()),
            Arc::new(self.zone_event.finish()),
            Arc::new(self.zone.finish()),
            Arc::new(self.zone_name.finish()),
            Arc::new(self.address.finish()),
            Arc::new(self.channel.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.serial_number.finish()),
        ];
        columns.extend(keypad);
        columns.extend(
            self.rf_flags
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        let lrr: [ArrayRef; 12] = [
            Arc::new(self.event_data.finish()),
            Arc::new(self.partition.finish()),
            Arc::new(self.event_type.finish()),
            Arc::new(self.report_code.finish()),
            Arc::new(self.event_prefix.finish()),
            Arc::new(self.event_source.finish()),
            Arc::new(self.event_status.finish()),
            Arc::new(self.event_code.finish()),
            Arc::new(self.event_description.finish()),
            Arc::new(self.event_data_type.finish()),
            Arc::new(self.lrr_version.finish()),
            Arc::new(self.aui_value.finish()),
        ];
        columns.extend(lrr);
        columns
    }
}
