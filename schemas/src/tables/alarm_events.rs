//! `alarm_events`: every AlarmDecoder message. Columns are named after the alarmdecoder
//! library's `dict()` keys, so SQL written in Athena against the Firehose JSON keeps working;
//! each message type fills its own columns and leaves the others null.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use chrono::{DateTime, Utc};

use super::TableBuilder;
use super::common::CommonBuilder;
use super::flag_columns::FlagColumns;
use super::sparse::{ColumnGroup, Sparse};
use crate::alarmdecoder::expander::ExpanderMessage;
use crate::alarmdecoder::keypad::{KeypadFlags, KeypadMessage};
use crate::alarmdecoder::lrr::{LrrMessage, code_text};
use crate::alarmdecoder::rf::RfMessage;
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
    let long = |name: &str| Field::new(name, DataType::Int64, true);
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
        long("mask"),
        int("cursor_location"),
        text("text"),
        text("arm_state"),
        text("zone_event"),
        int("zone"),
        text("zone_name"),
        long("address"),
        long("channel"),
        long("value"),
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
        text("extra"),
    ]);
    fields
}

fn strings(rows: usize, bytes_per_row: usize) -> StringBuilder {
    StringBuilder::with_capacity(rows, rows * bytes_per_row)
}

fn finish(columns: &mut Vec<ArrayRef>, builders: impl IntoIterator<Item = ArrayRef>) {
    columns.extend(builders);
}

struct KeypadColumns {
    flags: FlagColumns<15>,
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
}

impl KeypadColumns {
    fn append(&mut self, k: &KeypadMessage) {
        self.flags.append(FLAGS.map(|(_, read)| read(&k.flags)));
        self.beeps.append_value(i32::from(k.flags.beeps));
        self.system_fault
            .append_option(k.system_fault.map(i32::from));
        self.panel_type
            .append_option(k.panel_type.map(|p| p.as_str()));
        self.bitfield
            .append_option(Some(k.bitfield.as_str()).filter(|b| !b.is_empty()));
        self.numeric_code.append_value(&k.numeric_code);
        self.panel_data.append_value(&k.panel_data);
        self.mask.append_value(i64::from(k.mask));
        self.cursor_location.append_value(k.cursor_location);
        self.text.append_value(&k.text);
        self.arm_state
            .append_option(k.meaning.arm_state.map(|a| a.as_str()));
        self.zone_event
            .append_option(k.meaning.zone_event.map(|z| z.as_str()));
        self.zone.append_option(k.meaning.zone.map(i32::from));
        self.zone_name.append_option(k.meaning.zone_name.as_deref());
    }
}

impl ColumnGroup for KeypadColumns {
    fn with_capacity(rows: usize) -> Self {
        KeypadColumns {
            flags: FlagColumns::with_capacity(rows),
            beeps: Int32Builder::with_capacity(rows),
            system_fault: Int32Builder::with_capacity(rows),
            panel_type: strings(rows, 6),
            bitfield: strings(rows, 22),
            numeric_code: strings(rows, 3),
            panel_data: strings(rows, 32),
            mask: Int64Builder::with_capacity(rows),
            cursor_location: Int32Builder::with_capacity(rows),
            text: strings(rows, 32),
            arm_state: strings(rows, 8),
            zone_event: strings(rows / 4, 5),
            zone: Int32Builder::with_capacity(rows),
            zone_name: strings(rows / 4, 12),
        }
    }

    fn append_nulls(&mut self, n: usize) {
        self.flags.append_nulls(n);
        self.beeps.append_nulls(n);
        self.system_fault.append_nulls(n);
        self.panel_type.append_nulls(n);
        self.bitfield.append_nulls(n);
        self.numeric_code.append_nulls(n);
        self.panel_data.append_nulls(n);
        self.mask.append_nulls(n);
        self.cursor_location.append_nulls(n);
        self.text.append_nulls(n);
        self.arm_state.append_nulls(n);
        self.zone_event.append_nulls(n);
        self.zone.append_nulls(n);
        self.zone_name.append_nulls(n);
    }

    fn finish_into(&mut self, columns: &mut Vec<ArrayRef>) {
        self.flags.finish_into(columns);
        finish(
            columns,
            [
                Arc::new(self.beeps.finish()) as ArrayRef,
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
            ],
        );
    }
}

struct ExpanderColumns {
    address: Int64Builder,
    channel: Int64Builder,
}

impl ColumnGroup for ExpanderColumns {
    fn with_capacity(rows: usize) -> Self {
        ExpanderColumns {
            address: Int64Builder::with_capacity(rows),
            channel: Int64Builder::with_capacity(rows),
        }
    }

    fn append_nulls(&mut self, n: usize) {
        self.address.append_nulls(n);
        self.channel.append_nulls(n);
    }

    fn finish_into(&mut self, columns: &mut Vec<ArrayRef>) {
        finish(
            columns,
            [
                Arc::new(self.address.finish()) as ArrayRef,
                Arc::new(self.channel.finish()),
            ],
        );
    }
}

/// `value`: shared by expander/relay and RF messages, as in the library's `dict()`.
struct ValueColumn(Int64Builder);

impl ColumnGroup for ValueColumn {
    fn with_capacity(rows: usize) -> Self {
        ValueColumn(Int64Builder::with_capacity(rows))
    }

    fn append_nulls(&mut self, n: usize) {
        self.0.append_nulls(n);
    }

    fn finish_into(&mut self, columns: &mut Vec<ArrayRef>) {
        columns.push(Arc::new(self.0.finish()));
    }
}

struct RfColumns {
    serial_number: StringBuilder,
    flags: FlagColumns<6>,
}

impl RfColumns {
    fn append(&mut self, r: &RfMessage) {
        self.serial_number.append_value(&r.serial_number);
        self.flags
            .append([r.battery, r.supervision, r.loop1, r.loop2, r.loop3, r.loop4]);
    }
}

impl ColumnGroup for RfColumns {
    fn with_capacity(rows: usize) -> Self {
        RfColumns {
            serial_number: strings(rows, 8),
            flags: FlagColumns::with_capacity(rows),
        }
    }

    fn append_nulls(&mut self, n: usize) {
        self.serial_number.append_nulls(n);
        self.flags.append_nulls(n);
    }

    fn finish_into(&mut self, columns: &mut Vec<ArrayRef>) {
        columns.push(Arc::new(self.serial_number.finish()));
        self.flags.finish_into(columns);
    }
}

struct LrrColumns {
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
}

impl LrrColumns {
    fn append(&mut self, l: &LrrMessage) {
        self.event_data.append_value(&l.event_data);
        self.partition.append_value(l.partition);
        self.event_type.append_value(&l.event_type);
        self.report_code.append_option(l.report_code.as_deref());
        self.event_prefix.append_option(l.event_prefix.as_deref());
        self.event_source
            .append_option(l.event_source.map(i32::from));
        self.event_status
            .append_option(l.event_status.map(i32::from));
        self.event_code.append_option(l.event_code.map(code_text));
        self.event_description
            .append_option(l.event_description.as_deref());
        self.event_data_type
            .append_option(l.event_data_type.map(|d| d.as_str()));
        self.lrr_version.append_value(i32::from(l.version));
    }
}

impl ColumnGroup for LrrColumns {
    fn with_capacity(rows: usize) -> Self {
        LrrColumns {
            event_data: strings(rows, 3),
            partition: Int32Builder::with_capacity(rows),
            event_type: strings(rows, 8),
            report_code: strings(rows, 2),
            event_prefix: strings(rows, 3),
            event_source: Int32Builder::with_capacity(rows),
            event_status: Int32Builder::with_capacity(rows),
            event_code: strings(rows, 5),
            event_description: strings(rows, 16),
            event_data_type: strings(rows, 1),
            lrr_version: Int32Builder::with_capacity(rows),
        }
    }

    fn append_nulls(&mut self, n: usize) {
        self.event_data.append_nulls(n);
        self.partition.append_nulls(n);
        self.event_type.append_nulls(n);
        self.report_code.append_nulls(n);
        self.event_prefix.append_nulls(n);
        self.event_source.append_nulls(n);
        self.event_status.append_nulls(n);
        self.event_code.append_nulls(n);
        self.event_description.append_nulls(n);
        self.event_data_type.append_nulls(n);
        self.lrr_version.append_nulls(n);
    }

    fn finish_into(&mut self, columns: &mut Vec<ArrayRef>) {
        finish(
            columns,
            [
                Arc::new(self.event_data.finish()) as ArrayRef,
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
            ],
        );
    }
}

struct AuiColumn(StringBuilder);

impl ColumnGroup for AuiColumn {
    fn with_capacity(rows: usize) -> Self {
        AuiColumn(strings(rows, 8))
    }

    fn append_nulls(&mut self, n: usize) {
        self.0.append_nulls(n);
    }

    fn finish_into(&mut self, columns: &mut Vec<ArrayRef>) {
        columns.push(Arc::new(self.0.finish()));
    }
}

pub struct AlarmEventsBuilder {
    common: CommonBuilder,
    message_type: StringBuilder,
    time: StringBuilder,
    raw: StringBuilder,
    keypad: Sparse<KeypadColumns>,
    expander: Sparse<ExpanderColumns>,
    value: Sparse<ValueColumn>,
    rf: Sparse<RfColumns>,
    lrr: Sparse<LrrColumns>,
    aui: Sparse<AuiColumn>,
    extra: StringBuilder,
}

impl AlarmEventsBuilder {
    pub fn append(&mut self, position: &RecordPosition, event: &Event, body: &AlarmEvent) {
        let row = self.common.len();
        self.common
            .append(position, &event.site, event.event_time, event.index);
        self.message_type.append_value(body.message.message_type());
        self.time.append_option(body.time.as_deref());
        self.raw.append_option(body.raw.as_deref());
        self.extra
            .append_option(event.extra.as_ref().map(|e| e.json.as_str()));
        match &body.message {
            AlarmMessage::Keypad(k) => self.keypad.row(row).append(k),
            AlarmMessage::Expander(ExpanderMessage {
                address,
                channel,
                value,
                ..
            }) => {
                let columns = self.expander.row(row);
                columns.address.append_value(i64::from(*address));
                columns.channel.append_value(i64::from(*channel));
                self.value.row(row).0.append_value(*value);
            }
            AlarmMessage::Rf(r) => {
                self.rf.row(row).append(r);
                self.value.row(row).0.append_value(i64::from(r.value));
            }
            AlarmMessage::Lrr(l) => self.lrr.row(row).append(l),
            AlarmMessage::Aui(a) => self.aui.row(row).0.append_value(&a.aui_value),
        }
    }
}

impl TableBuilder for AlarmEventsBuilder {
    fn with_capacity(rows: usize) -> Self {
        AlarmEventsBuilder {
            common: CommonBuilder::with_capacity(rows),
            message_type: strings(rows, 6),
            time: strings(rows, 26),
            raw: strings(rows, 0),
            keypad: Sparse::with_capacity(rows),
            expander: Sparse::with_capacity(rows / 8),
            value: Sparse::with_capacity(rows / 4),
            rf: Sparse::with_capacity(rows / 8),
            lrr: Sparse::with_capacity(rows / 8),
            aui: Sparse::with_capacity(0),
            extra: strings(rows, 0),
        }
    }

    fn len(&self) -> usize {
        self.common.len()
    }

    fn finish(&mut self, ingest_time: DateTime<Utc>) -> Vec<ArrayRef> {
        let rows = self.len();
        let mut columns = self.common.finish(ingest_time);
        columns.push(Arc::new(self.message_type.finish()));
        columns.push(Arc::new(self.time.finish()));
        columns.push(Arc::new(self.raw.finish()));
        self.keypad.finish_into(rows, &mut columns);
        self.expander.finish_into(rows, &mut columns);
        self.value.finish_into(rows, &mut columns);
        self.rf.finish_into(rows, &mut columns);
        self.lrr.finish_into(rows, &mut columns);
        self.aui.finish_into(rows, &mut columns);
        columns.push(Arc::new(self.extra.finish()));
        columns
    }
}
