//! Camera uploads: S3 event notifications for objects under
//! `patrolcams/<camera>/<YYYY-MM-DD>/Hour-<HH>/(snap|record)/<file>`, routed to the stream.
//!
//! Users browse clips by camera and by time, so the key is decoded into those columns. Keys in
//! notifications are URL-encoded with `+` for space.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::reject::{DecodeError, RejectReason};
use crate::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Snapshot,
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Snapshot => "snapshot",
            MediaKind::Video => "video",
        }
    }
}

/// One uploaded snapshot or video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CameraMedia {
    pub camera: String,
    pub media_kind: MediaKind,
    /// From the key's date and hour (in the site's time zone), refined to the second when the
    /// file name carries a time of day within that hour.
    pub capture_time: DateTime<Utc>,
    pub size: Option<i64>,
    /// The URL-decoded object key.
    pub key: String,
    pub file_name: String,
    pub bucket: Option<String>,
    pub etag: Option<String>,
    pub event_name: String,
}

/// What one entry of a notification's `Records` array became.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraOutcome {
    Media {
        media: CameraMedia,
        upload_time: DateTime<Utc>,
    },
    /// An S3 event that is not a new object (a delete, a restore); counted, not stored.
    NotAnUpload,
    Failed(DecodeError),
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "eventName")]
    event_name: String,
    #[serde(rename = "eventTime")]
    event_time: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Option<Bucket>,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
    size: Option<i64>,
    #[serde(rename = "eTag")]
    e_tag: Option<String>,
}

fn invalid(detail: impl Into<String>) -> DecodeError {
    DecodeError::new(RejectReason::InvalidS3Notification, detail)
}

/// Decodes the `Records` array of a notification. `to_utc` turns the key's local date and hour
/// into an instant, with the site's time zone.
pub fn decode_records(
    records_json: &str,
    to_utc: &dyn Fn(NaiveDateTime) -> DateTime<Utc>,
) -> Result<Vec<CameraOutcome>, DecodeError> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(records_json)
        .map_err(|e| invalid(format!("\"Records\" is not an array: {e}")))?;
    if entries.is_empty() {
        return Err(invalid("\"Records\" is empty"));
    }
    Ok(entries
        .into_iter()
        .map(|value| match serde_json::from_value::<Entry>(value) {
            Ok(entry) => decode_entry(entry, to_utc),
            Err(e) => CameraOutcome::Failed(invalid(format!("notification record: {e}"))),
        })
        .collect())
}

fn decode_entry(entry: Entry, to_utc: &dyn Fn(NaiveDateTime) -> DateTime<Utc>) -> CameraOutcome {
    if !entry.event_name.starts_with("ObjectCreated:") {
        return CameraOutcome::NotAnUpload;
    }
    let result = (|| {
        let upload_time = timestamp::parse_rfc3339(&entry.event_time)?;
        let key = url_decode(&entry.s3.object.key)?;
        let parsed = parse_key(&key)?;
        let media = CameraMedia {
            camera: parsed.camera.to_string(),
            media_kind: parsed.kind,
            capture_time: to_utc(parsed.local_time),
            size: entry.s3.object.size,
            file_name: parsed.file_name.to_string(),
            key: key.clone(),
            bucket: entry.s3.bucket.map(|b| b.name),
            etag: entry.s3.object.e_tag,
            event_name: entry.event_name,
        };
        Ok(CameraOutcome::Media { media, upload_time })
    })();
    result.unwrap_or_else(CameraOutcome::Failed)
}

/// Decodes an S3 notification key: `%XX` escapes and `+` for space.
pub fn url_decode(key: &str) -> Result<String, DecodeError> {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| invalid(format!("bad escape in key {key:?}")))?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| invalid(format!("key {key:?} decodes to invalid UTF-8")))
}

struct ParsedKey<'a> {
    camera: &'a str,
    kind: MediaKind,
    local_time: NaiveDateTime,
    file_name: &'a str,
}

fn unknown_key(key: &str) -> DecodeError {
    DecodeError::new(
        RejectReason::UnknownS3Key,
        format!(
            "key {key:?} is not patrolcams/<camera>/<YYYY-MM-DD>/Hour-<HH>/(snap|record)/<file>"
        ),
    )
}

fn parse_key(key: &str) -> Result<ParsedKey<'_>, DecodeError> {
    let parts: Vec<&str> = key.split('/').collect();
    let ["patrolcams", camera, date, hour, kind, file_name] = parts.as_slice() else {
        return Err(unknown_key(key));
    };
    if camera.is_empty() || file_name.is_empty() {
        return Err(unknown_key(key));
    }
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| unknown_key(key))?;
    let hour: u32 = hour
        .strip_prefix("Hour-")
        .filter(|h| h.len() == 2)
        .and_then(|h| h.parse().ok())
        .filter(|h| *h < 24)
        .ok_or_else(|| unknown_key(key))?;
    let kind = match *kind {
        "snap" => MediaKind::Snapshot,
        "record" => MediaKind::Video,
        _ => return Err(unknown_key(key)),
    };
    let (minute, second) = time_in_name(file_name, date, hour).unwrap_or((0, 0));
    let time = NaiveTime::from_hms_opt(hour, minute, second).ok_or_else(|| unknown_key(key))?;
    Ok(ParsedKey {
        camera,
        kind,
        local_time: NaiveDateTime::new(date, time),
        file_name,
    })
}

/// Finds the minute and second in a file name such as `20240102_134502.jpg`, `134502.mp4` or
/// `13-45-02.jpg`, when its hour (and date, if present) agree with the key's folders.
fn time_in_name(name: &str, date: NaiveDate, hour: u32) -> Option<(u32, u32)> {
    let check = |h: u32, m: u32, s: u32| (h == hour && m < 60 && s < 60).then_some((m, s));
    let digits: String = name.chars().filter(char::is_ascii_digit).collect();
    let num = |s: &str| s.parse::<u32>().ok();
    if digits.len() == 14 && digits[..8] == date.format("%Y%m%d").to_string() {
        return check(
            num(&digits[8..10])?,
            num(&digits[10..12])?,
            num(&digits[12..14])?,
        );
    }
    if digits.len() == 6 {
        return check(
            num(&digits[0..2])?,
            num(&digits[2..4])?,
            num(&digits[4..6])?,
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(t: NaiveDateTime) -> DateTime<Utc> {
        t.and_utc()
    }

    fn notification(key: &str, event: &str) -> String {
        format!(
            r#"[{{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2024-01-02T13:45:07.120Z","eventName":"{event}","s3":{{"bucket":{{"name":"cams"}},"object":{{"key":"{key}","size":48213,"eTag":"9b2cf535f27731c974343645a3985328"}}}}}}]"#
        )
    }

    #[test]
    fn decodes_snapshot_and_video() {
        let out = decode_records(
            &notification(
                "patrolcams/front+porch/2024-01-02/Hour-13/snap/134502.jpg",
                "ObjectCreated:Put",
            ),
            &utc,
        )
        .unwrap();
        let CameraOutcome::Media { media, upload_time } = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(media.camera, "front porch");
        assert_eq!(media.media_kind, MediaKind::Snapshot);
        assert_eq!(media.capture_time.to_rfc3339(), "2024-01-02T13:45:02+00:00");
        assert_eq!(media.size, Some(48213));
        assert_eq!(
            media.key,
            "patrolcams/front porch/2024-01-02/Hour-13/snap/134502.jpg"
        );
        assert_eq!(media.bucket.as_deref(), Some("cams"));
        assert_eq!(upload_time.to_rfc3339(), "2024-01-02T13:45:07.120+00:00");
        let out = decode_records(
            &notification(
                "patrolcams/cam%2D2/2024-01-02/Hour-07/record/clip.mp4",
                "ObjectCreated:CompleteMultipartUpload",
            ),
            &utc,
        )
        .unwrap();
        let CameraOutcome::Media { media, .. } = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(
            (media.camera.as_str(), media.media_kind),
            ("cam-2", MediaKind::Video)
        );
        assert_eq!(media.capture_time.to_rfc3339(), "2024-01-02T07:00:00+00:00");
    }

    #[test]
    fn other_events_and_bad_keys() {
        let out = decode_records(
            &notification(
                "patrolcams/c/2024-01-02/Hour-13/snap/a.jpg",
                "ObjectRemoved:Delete",
            ),
            &utc,
        )
        .unwrap();
        assert_eq!(out, vec![CameraOutcome::NotAnUpload]);
        for key in [
            "photos/c/2024-01-02/Hour-13/snap/a.jpg",
            "patrolcams/c/2024-13-02/Hour-13/snap/a.jpg",
            "patrolcams/c/2024-01-02/Hour-24/snap/a.jpg",
            "patrolcams/c/2024-01-02/Hour-13/thumb/a.jpg",
            "patrolcams//2024-01-02/Hour-13/snap/a.jpg",
            "patrolcams/c/2024-01-02/Hour-13/snap/",
        ] {
            let out = decode_records(&notification(key, "ObjectCreated:Put"), &utc).unwrap();
            assert!(
                matches!(&out[0], CameraOutcome::Failed(e) if e.reason == RejectReason::UnknownS3Key),
                "{key}: {out:?}"
            );
        }
        let out = decode_records(
            &notification(
                "patrolcams/c%ZZ/2024-01-02/Hour-13/snap/a.jpg",
                "ObjectCreated:Put",
            ),
            &utc,
        )
        .unwrap();
        assert!(
            matches!(&out[0], CameraOutcome::Failed(e) if e.reason == RejectReason::InvalidS3Notification)
        );
        assert_eq!(
            decode_records("[]", &utc).unwrap_err().reason,
            RejectReason::InvalidS3Notification
        );
        assert_eq!(
            decode_records("{}", &utc).unwrap_err().reason,
            RejectReason::InvalidS3Notification
        );
    }

    #[test]
    fn file_name_time_must_agree_with_folders() {
        let date = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        assert_eq!(time_in_name("20240102_134502.jpg", date, 13), Some((45, 2)));
        assert_eq!(time_in_name("13-45-02.jpg", date, 13), Some((45, 2)));
        assert_eq!(time_in_name("20240103_134502.jpg", date, 13), None);
        assert_eq!(time_in_name("144502.jpg", date, 13), None);
        assert_eq!(time_in_name("136102.jpg", date, 13), None);
    }
}
