//! One simulated home: an alarm panel with named zones, the people who live there, their
//! MODE devices and a camera, all following daily routines.
//!
//! Each day is planned when it starts (leaving for work, coming home, evening activity, arming
//! for the night, the rare false alarm, AC loss or low battery) and played out in time order,
//! while the keypad bus repeats its display every ~2.6 s, wireless sensors check in about once
//! an hour, and the MODE hub sends heartbeats and temperatures.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::clock::{DAY, HOUR, MINUTE, SECOND, is_workday};
use super::render::{self, Keypad, display};

/// Which lines a home writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    /// AlarmDecoder messages: `Some(true)` as the relay's JSON dicts, `Some(false)` as raw lines.
    pub alarm_json: Option<bool>,
    pub mode: bool,
    pub cameras: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZoneKind {
    Door,
    Window,
    Motion,
    Smoke,
}

#[derive(Debug, Clone)]
struct Zone {
    number: u16,
    name: &'static str,
    kind: ZoneKind,
    /// Wireless sensors report over RF with this serial number.
    serial: Option<u32>,
    /// Zones on a zone expander report with (address, channel).
    expander: Option<(u8, u8)>,
}

/// A zone a home may have: number, keypad name, kind, wireless or not, expander address.
struct ZoneTemplate {
    number: u16,
    name: &'static str,
    kind: ZoneKind,
    wireless: bool,
    expander: Option<(u8, u8)>,
}

const ZONES: [ZoneTemplate; 10] = [
    ZoneTemplate {
        number: 1,
        name: "FRONT DOOR",
        kind: ZoneKind::Door,
        wireless: false,
        expander: None,
    },
    ZoneTemplate {
        number: 2,
        name: "GARAGE DOOR",
        kind: ZoneKind::Door,
        wireless: false,
        expander: None,
    },
    ZoneTemplate {
        number: 3,
        name: "BACK DOOR",
        kind: ZoneKind::Door,
        wireless: false,
        expander: None,
    },
    ZoneTemplate {
        number: 4,
        name: "LIVING ROOM WIN",
        kind: ZoneKind::Window,
        wireless: true,
        expander: None,
    },
    ZoneTemplate {
        number: 5,
        name: "KITCHEN WINDOW",
        kind: ZoneKind::Window,
        wireless: true,
        expander: None,
    },
    ZoneTemplate {
        number: 6,
        name: "HALL MOTION",
        kind: ZoneKind::Motion,
        wireless: false,
        expander: None,
    },
    ZoneTemplate {
        number: 7,
        name: "SMOKE DETECTOR",
        kind: ZoneKind::Smoke,
        wireless: true,
        expander: None,
    },
    ZoneTemplate {
        number: 9,
        name: "BEDROOM WINDOW",
        kind: ZoneKind::Window,
        wireless: false,
        expander: Some((7, 1)),
    },
    ZoneTemplate {
        number: 10,
        name: "BASEMENT MOTION",
        kind: ZoneKind::Motion,
        wireless: false,
        expander: Some((7, 2)),
    },
    ZoneTemplate {
        number: 17,
        name: "DEN WINDOW",
        kind: ZoneKind::Window,
        wireless: true,
        expander: None,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arm {
    Disarmed,
    Away,
    Stay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Arm(Arm, u16),
    Disarm(u16),
    Fault(usize),
    Restore(usize),
    /// Someone opens an entry door while the system is armed.
    Entry(usize),
    Alarm(usize),
    Cancel(u16),
    AcLoss,
    AcRestore,
    LowBattery(usize),
    /// The battery of a wireless zone is replaced: its low-battery trouble clears.
    BatteryReplaced(usize),
    /// The panel's daily periodic test report to the monitoring station (Contact ID 602).
    PeriodicTest,
    /// A trouble the panel reports (qualifier 1) and later clears (qualifier 3): RF
    /// supervision loss (381) or a sensor tamper (383) on a zone.
    Trouble(u16, usize),
    TroubleCleared(u16, usize),
}

pub struct Home {
    site: String,
    home_id: u32,
    rng: StdRng,
    dsc: bool,
    zones: Vec<Zone>,
    users: u16,
    streams: Streams,
    arm: Arm,
    exit_until: i64,
    entry_until: i64,
    faulted: Vec<usize>,
    alarm_zone: Option<usize>,
    alarm_memory: bool,
    ac: bool,
    low_battery: bool,
    backlight_until: i64,
    keypad_ticks: u64,
    next_keypad: i64,
    next_rf: Vec<i64>,
    next_heartbeat: i64,
    next_temperature: i64,
    queue: VecDeque<(i64, Action)>,
    planned_until: i64,
    end: i64,
    /// When the panel's relay goes offline for good (`i64::MAX`: never). From then on the home
    /// writes no AlarmDecoder line; its MODE devices go on.
    silent_from: i64,
    /// The time of day of the periodic test.
    test_time: i64,
    /// Draws for the periodic test, silence and troubles, apart from `rng`, so that adding
    /// them left every other event of a seed where it was.
    trouble_rng: StdRng,
    /// Actions planned for a later day than the one being planned.
    later: Vec<(i64, Action)>,
}

impl Home {
    pub fn new(index: usize, seed: u64, start: i64, end: i64, streams: Streams) -> Home {
        let mut rng =
            StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut zones = Vec::new();
        for (i, t) in ZONES.iter().enumerate() {
            // Every home has its three doors; the other zones vary from home to home.
            if i >= 3 && !rng.random_bool(0.8) {
                continue;
            }
            let serial = t.wireless.then(|| rng.random_range(100_000..9_999_999));
            zones.push(Zone {
                number: t.number,
                name: t.name,
                kind: t.kind,
                serial,
                expander: t.expander,
            });
        }
        let wireless = zones.iter().filter(|z| z.serial.is_some()).count();
        let mut trouble_rng =
            StdRng::seed_from_u64(!seed ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        // Every eighth panel, from the third, goes silent in the last two days of a run of four
        // days or more, so that the silent-panels report has something to find.
        let silent_from = if index % 8 == 2 && end - start >= 4 * DAY {
            end - trouble_rng.random_range(DAY..2 * DAY)
        } else {
            i64::MAX
        };
        let test_time = trouble_rng.random_range(0..DAY);
        let next_rf = (0..wireless)
            .map(|_| start + rng.random_range(0..64 * MINUTE))
            .collect();
        Home {
            site: format!("home-{:04}", index + 1),
            home_id: 1000 + index as u32 + 1,
            dsc: rng.random_bool(0.3),
            users: rng.random_range(1..=4),
            zones,
            streams,
            arm: Arm::Disarmed,
            exit_until: 0,
            entry_until: 0,
            faulted: Vec::new(),
            alarm_zone: None,
            alarm_memory: false,
            ac: true,
            low_battery: false,
            backlight_until: 0,
            keypad_ticks: 0,
            next_keypad: start + rng.random_range(0..3 * SECOND),
            next_rf,
            next_heartbeat: start + rng.random_range(0..300 * SECOND),
            next_temperature: start + rng.random_range(0..600 * SECOND),
            queue: VecDeque::new(),
            planned_until: start - start.rem_euclid(DAY),
            end,
            silent_from,
            test_time,
            trouble_rng,
            later: Vec::new(),
            rng,
        }
    }

    /// The AlarmDecoder stream at `now`: `None` when the home has none, or its panel has gone
    /// silent.
    fn panel(&self, now: i64) -> Option<bool> {
        self.streams.alarm_json.filter(|_| now < self.silent_from)
    }

    /// When this home writes its next line, or `None` when it has reached the end.
    pub fn next_time(&mut self) -> Option<i64> {
        while self.queue.is_empty() && self.planned_until < self.end {
            self.plan_day();
        }
        let mut next = self.queue.front().map_or(i64::MAX, |(t, _)| *t);
        if self.streams.alarm_json.is_some() {
            // A silent panel's relay writes nothing more: its bus and sensors are not scheduled.
            let next_rf = self.next_rf.iter().copied().min().unwrap_or(i64::MAX);
            for t in [self.next_keypad, next_rf] {
                if t < self.silent_from {
                    next = next.min(t);
                }
            }
        }
        if self.streams.mode {
            next = next.min(self.next_heartbeat).min(self.next_temperature);
        }
        (next < self.end).then_some(next)
    }

    /// Writes the lines of the next moment (one or a few, each ending in a newline) and returns
    /// how many it wrote.
    pub fn emit(&mut self, out: &mut String) -> usize {
        let Some(now) = self.next_time() else {
            return 0;
        };
        let before = out.len();
        if self.queue.front().is_some_and(|(t, _)| *t == now) {
            if let Some((_, action)) = self.queue.pop_front() {
                self.act(now, action, out);
            }
        } else if self.panel(now).is_some() && self.next_keypad == now {
            self.keypad_line(now, out);
            self.next_keypad = now + self.rng.random_range(2_400_000..2_800_000);
        } else if self.panel(now).is_some() && self.next_rf.contains(&now) {
            let sensor = self.next_rf.iter().position(|t| *t == now).unwrap_or(0);
            if let Some(zone) = self
                .zones
                .iter()
                .filter(|z| z.serial.is_some())
                .nth(sensor)
                .cloned()
            {
                let open = self
                    .faulted
                    .iter()
                    .any(|i| self.zones[*i].number == zone.number);
                self.rf_line(now, &zone, true, open, out);
            }
            self.next_rf[sensor] = now + 64 * MINUTE + self.rng.random_range(0..2 * MINUTE);
        } else if self.streams.mode && self.next_heartbeat == now && !self.ac {
            // The hub runs on mains power: during an AC loss it goes silent.
            self.next_heartbeat = now + 300 * SECOND;
        } else if self.streams.mode && self.next_heartbeat == now {
            let uptime = (now - self.planned_until).rem_euclid(DAY) / SECOND;
            self.line(out, |o| {
                render::mode_event(
                    o,
                    self.home_id,
                    now,
                    "heartbeat",
                    &format!("{{\"uptime\":{uptime}}}"),
                    1,
                    "hub",
                )
            });
            self.next_heartbeat = now + 300 * SECOND;
        } else if self.streams.mode && self.next_temperature == now {
            let hour = (now.rem_euclid(DAY) / HOUR) as f64;
            let temp = 20.0
                + 2.0 * ((hour - 15.0) / 24.0 * std::f64::consts::TAU).cos()
                + self.rng.random_range(-0.3..0.3);
            let data = format!(
                "{{\"timeSeriesData\":[{{\"seriesId\":\"temperature\",\"value\":{temp:.1}}}]}}"
            );
            self.line(out, |o| {
                render::mode_event(o, self.home_id, now, "realtimeData", &data, 2, "thermostat")
            });
            self.next_temperature = now + 600 * SECOND;
        }
        out[before..].bytes().filter(|b| *b == b'\n').count()
    }

    fn line(&self, out: &mut String, write: impl FnOnce(&mut String)) {
        write(out);
        out.push('\n');
    }

    /// The home's site name (`home-0001`, ...).
    pub fn site(&self) -> &str {
        &self.site
    }

    fn site_field(&self) -> Option<&str> {
        Some(self.site.as_str())
    }

    fn plan_day(&mut self) {
        let day = self.planned_until;
        self.planned_until += DAY;
        let mut plan: Vec<(i64, Action)> = Vec::new();
        let rng = &mut self.rng;
        let user = |rng: &mut StdRng, users: u16| rng.random_range(1..=users);
        let weekday = is_workday(day);
        plan.push((
            day + 6 * HOUR + rng.random_range(0..HOUR),
            Action::Disarm(user(rng, self.users)),
        ));
        let mut busy_from = day + 8 * HOUR;
        if weekday {
            let leave = day + 7 * HOUR + 30 * MINUTE + rng.random_range(0..75 * MINUTE);
            plan.push((leave, Action::Arm(Arm::Away, user(rng, self.users))));
            plan.push((leave + 20 * SECOND, Action::Fault(0)));
            plan.push((leave + 35 * SECOND, Action::Restore(0)));
            let back = day + 17 * HOUR + rng.random_range(0..2 * HOUR);
            plan.push((back, Action::Entry(0)));
            if rng.random_bool(1.0 / 40.0) {
                // Nobody disarmed in time: a false alarm, cancelled by the user.
                let who = user(rng, self.users);
                plan.push((back + 45 * SECOND, Action::Alarm(0)));
                plan.push((back + 100 * SECOND, Action::Disarm(who)));
                plan.push((back + 101 * SECOND, Action::Cancel(who)));
                plan.push((back + 130 * SECOND, Action::Restore(0)));
            } else {
                plan.push((
                    back + rng.random_range(10 * SECOND..35 * SECOND),
                    Action::Disarm(user(rng, self.users)),
                ));
                plan.push((back + 60 * SECOND, Action::Restore(0)));
            }
            let motion = (0..self.zones.len()).find(|i| self.zones[*i].kind == ZoneKind::Motion);
            if let (Some(zone), true) = (motion, rng.random_bool(1.0 / 150.0)) {
                // A real alarm: motion inside while everyone is away, disarmed remotely.
                let t = rng.random_range(leave + 10 * MINUTE..back - 10 * MINUTE);
                let who = user(rng, self.users);
                plan.push((t, Action::Fault(zone)));
                plan.push((t + 30 * SECOND, Action::Alarm(zone)));
                plan.push((t + 60 * SECOND, Action::Restore(zone)));
                plan.push((t + 12 * MINUTE, Action::Disarm(who)));
                plan.push((t + 12 * MINUTE + SECOND, Action::Cancel(who)));
            }
            busy_from = back + 5 * MINUTE;
        }
        let activities = if weekday {
            rng.random_range(8..20)
        } else {
            rng.random_range(20..40)
        };
        for _ in 0..activities {
            let t = rng.random_range(busy_from..day + 22 * HOUR);
            let zone = rng.random_range(0..self.zones.len());
            if self.zones[zone].kind == ZoneKind::Smoke {
                continue;
            }
            plan.push((t, Action::Fault(zone)));
            plan.push((
                t + rng.random_range(5 * SECOND..120 * SECOND),
                Action::Restore(zone),
            ));
        }
        plan.push((
            day + 22 * HOUR + rng.random_range(0..90 * MINUTE),
            Action::Arm(Arm::Stay, user(rng, self.users)),
        ));
        if rng.random_bool(1.0 / 45.0) {
            let t = day + rng.random_range(0..20 * HOUR);
            plan.push((t, Action::AcLoss));
            plan.push((
                t + rng.random_range(10 * MINUTE..120 * MINUTE),
                Action::AcRestore,
            ));
        }
        if rng.random_bool(1.0 / 90.0) {
            let wireless: Vec<usize> = (0..self.zones.len())
                .filter(|i| self.zones[*i].serial.is_some())
                .collect();
            if !wireless.is_empty() {
                let zone = wireless[rng.random_range(0..wireless.len())];
                let t = day + rng.random_range(0..DAY - MINUTE);
                plan.push((t, Action::LowBattery(zone)));
                // Someone replaces the battery a day or two later (the plan may run past the
                // day: the queue keeps it).
                let replaced = t + self.trouble_rng.random_range(DAY..3 * DAY);
                self.later.push((replaced, Action::BatteryReplaced(zone)));
            }
        }
        self.plan_troubles(day, &mut plan);
        plan.retain(|(t, _)| *t < day + DAY);
        plan.sort_by_key(|(t, _)| *t);
        self.queue.extend(plan);
    }

    /// The day's periodic test, the troubles that open (and later clear), and the actions
    /// planned earlier for this day.
    fn plan_troubles(&mut self, day: i64, plan: &mut Vec<(i64, Action)>) {
        plan.push((day + self.test_time, Action::PeriodicTest));
        let rng = &mut self.trouble_rng;
        let wireless: Vec<usize> = (0..self.zones.len())
            .filter(|i| self.zones[*i].serial.is_some())
            .collect();
        if !wireless.is_empty() && rng.random_bool(1.0 / 40.0) {
            // A wireless sensor stops checking in for some hours.
            let zone = wireless[rng.random_range(0..wireless.len())];
            let t = day + rng.random_range(0..DAY);
            plan.push((t, Action::Trouble(0x381, zone)));
            let cleared = t + rng.random_range(HOUR..8 * HOUR);
            self.later
                .push((cleared, Action::TroubleCleared(0x381, zone)));
        }
        if rng.random_bool(1.0 / 60.0) {
            // A sensor's cover is opened, and closed again minutes later.
            let zone = rng.random_range(0..self.zones.len());
            let t = day + rng.random_range(0..DAY);
            plan.push((t, Action::Trouble(0x383, zone)));
            let cleared = t + rng.random_range(2 * MINUTE..30 * MINUTE);
            self.later
                .push((cleared, Action::TroubleCleared(0x383, zone)));
        }
        let (due, later): (Vec<_>, Vec<_>) =
            self.later.drain(..).partition(|(t, _)| *t < day + DAY);
        plan.extend(due);
        self.later = later;
    }

    fn act(&mut self, now: i64, action: Action, out: &mut String) {
        self.backlight_until = now + 30 * SECOND;
        match action {
            Action::Arm(mode, user) => {
                self.arm = mode;
                self.exit_until = now + 60 * SECOND;
                self.alarm_memory = false;
                self.report(
                    now,
                    3,
                    if mode == Arm::Stay { 0x441 } else { 0x401 },
                    user,
                    out,
                );
                if mode == Arm::Away {
                    self.door_lock(now, true, out);
                }
            }
            Action::Disarm(user) => {
                if self.arm == Arm::Disarmed && self.alarm_zone.is_none() {
                    return;
                }
                let was_away = self.arm == Arm::Away;
                self.arm = Arm::Disarmed;
                self.entry_until = 0;
                self.alarm_zone = None;
                self.report(now, 1, 0x401, user, out);
                if was_away {
                    self.door_lock(now, false, out);
                }
            }
            Action::Fault(zone) | Action::Entry(zone) => {
                if action == Action::Entry(zone) && self.arm != Arm::Disarmed {
                    self.entry_until = now + 30 * SECOND;
                }
                if !self.faulted.contains(&zone) {
                    self.faulted.push(zone);
                }
                self.zone_change(now, zone, true, out);
            }
            Action::Restore(zone) => {
                self.faulted.retain(|z| *z != zone);
                self.zone_change(now, zone, false, out);
            }
            Action::Alarm(zone) => {
                self.alarm_zone = Some(zone);
                self.alarm_memory = true;
                let code = if self.zones[zone].kind == ZoneKind::Motion {
                    0x132
                } else {
                    0x134
                };
                self.report(now, 1, code, self.zones[zone].number, out);
            }
            Action::Cancel(user) => self.report(now, 1, 0x406, user, out),
            Action::AcLoss | Action::AcRestore => {
                self.ac = action == Action::AcRestore;
                self.report(now, if self.ac { 3 } else { 1 }, 0x301, 0, out);
                if self.streams.mode {
                    let state = if self.ac { "on" } else { "off" };
                    self.line(out, |o| {
                        render::mode_event(
                            o,
                            self.home_id,
                            now,
                            "power-status",
                            &format!("{{\"power-status\":\"{state}\"}}"),
                            3,
                            "power-monitor",
                        )
                    });
                }
            }
            Action::LowBattery(zone) => {
                self.low_battery = true;
                self.report(now, 1, 0x384, self.zones[zone].number, out);
            }
            Action::BatteryReplaced(zone) => {
                self.low_battery = false;
                self.report(now, 3, 0x384, self.zones[zone].number, out);
            }
            Action::PeriodicTest => self.report(now, 1, 0x602, 0, out),
            Action::Trouble(code, zone) => self.report(now, 1, code, self.zones[zone].number, out),
            Action::TroubleCleared(code, zone) => {
                self.report(now, 3, code, self.zones[zone].number, out)
            }
        }
        if self.panel(now).is_some() {
            self.keypad_line(now, out);
        }
    }

    /// The MODE smart lock of the front door, locked when the home is armed away.
    fn door_lock(&mut self, now: i64, locked: bool, out: &mut String) {
        if !self.streams.mode {
            return;
        }
        let state = if locked { "locked" } else { "unlocked" };
        self.line(out, |o| {
            render::mode_event(
                o,
                self.home_id,
                now,
                "lock-status",
                &format!("{{\"lock\":\"{state}\"}}"),
                4,
                "door-lock",
            )
        });
    }

    fn report(&mut self, now: i64, qualifier: u8, code: u16, data: u16, out: &mut String) {
        match self.panel(now) {
            Some(true) => self.line(out, |o| {
                render::lrr_json(o, qualifier, code, data, now, self.site_field())
            }),
            Some(false) => self.line(out, |o| render::lrr_raw(o, qualifier, code, data)),
            None => {}
        }
    }

    fn zone_change(&mut self, now: i64, zone: usize, open: bool, out: &mut String) {
        let z = self.zones[zone].clone();
        if z.serial.is_some() {
            self.rf_line(now, &z, false, open, out);
        }
        if let Some((address, channel)) = z.expander {
            match self.panel(now) {
                Some(true) => self.line(out, |o| {
                    render::expander_json(
                        o,
                        address,
                        channel,
                        u8::from(open),
                        now,
                        self.site_field(),
                    )
                }),
                Some(false) => self.line(out, |o| {
                    render::expander_raw(o, address, channel, u8::from(open))
                }),
                None => {}
            }
        }
        if open && z.kind == ZoneKind::Motion && self.streams.cameras {
            let camera = format!("{}-cam{}", self.site, z.number);
            let size = self.rng.random_range(500_000..20_000_000);
            let etag = self.rng.random::<u64>();
            self.line(out, |o| {
                render::camera_clip(o, &camera, now + 5 * SECOND, size, etag)
            });
        }
    }

    fn rf_line(&mut self, now: i64, zone: &Zone, supervision: bool, open: bool, out: &mut String) {
        let Some(serial) = zone.serial else { return };
        let value = render::rf_value(self.low_battery, supervision, open);
        match self.panel(now) {
            Some(true) => self.line(out, |o| {
                render::rf_json(o, serial, value, now, self.site_field())
            }),
            Some(false) => self.line(out, |o| render::rf_raw(o, serial, value)),
            None => {}
        }
    }

    fn keypad(&mut self, now: i64) -> Keypad {
        self.keypad_ticks += 1;
        let zone_text = |z: &Zone, word: &str| {
            (
                render::display_wrapped(&format!("{word} {:02} {}", z.number, z.name)),
                z.number,
            )
        };
        let (text, numeric_code) = if let Some(zone) = self.alarm_zone {
            zone_text(&self.zones[zone], "ALARM")
        } else if now < self.entry_until {
            (display("DISARM SYSTEM", "Or alarm occurs"), 8)
        } else if self.arm != Arm::Disarmed {
            let mode = if self.arm == Arm::Away {
                "ARMED ***AWAY***"
            } else {
                "ARMED ***STAY***"
            };
            (
                display(
                    mode,
                    if now < self.exit_until {
                        "You may exit now"
                    } else {
                        ""
                    },
                ),
                8,
            )
        } else if !self.faulted.is_empty() {
            let zone = self.faulted[(self.keypad_ticks as usize) % self.faulted.len()];
            zone_text(&self.zones[zone], "FAULT")
        } else if self.dsc {
            (display("System Is", "Ready To Arm"), 8)
        } else {
            (display("****DISARMED****", "  Ready to Arm  "), 8)
        };
        Keypad {
            ready: self.arm == Arm::Disarmed
                && self.faulted.is_empty()
                && self.alarm_zone.is_none(),
            armed_away: self.arm == Arm::Away,
            armed_home: self.arm == Arm::Stay,
            backlight_on: now < self.backlight_until,
            beeps: if now < self.entry_until { 2 } else { 0 },
            ac_power: self.ac,
            chime_on: self.arm == Arm::Disarmed,
            alarm_event_occurred: self.alarm_memory,
            alarm_sounding: self.alarm_zone.is_some(),
            battery_low: self.low_battery,
            perimeter_only: self.arm == Arm::Stay,
            dsc: self.dsc,
            numeric_code,
            text,
        }
    }

    fn keypad_line(&mut self, now: i64, out: &mut String) {
        let keypad = self.keypad(now);
        match self.panel(now) {
            Some(true) => self.line(out, |o| {
                render::keypad_json(o, &keypad, now, self.site_field())
            }),
            Some(false) => self.line(out, |o| render::keypad_raw(o, &keypad)),
            None => {}
        }
    }
}
