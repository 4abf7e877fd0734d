-- devices: the latest event of every MODE device (a device-shadow view) and when it came, in
-- the site's local time (the sites table's zone, else --tz) with the UTC offset. The history of
-- each device's changes of state is the device-state report.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
local_events AS (
    SELECT m.site, m.origin_device_id, m.origin_device_class, m.event_type, m.event_time, m.event_data,
           CAST(m.event_time AS TIMESTAMP) + o.shift AS local_time, o.utc_offset
    FROM mode_events m
    LEFT JOIN sites s ON s.site = m.site
    JOIN offsets o ON o.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', m.event_time) >= o.valid_from AND date_part('epoch', m.event_time) < o.valid_until
    WHERE ({{site}} IS NULL OR m.site = {{site}})
      AND ({{scan_from}} IS NULL OR m.date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR m.date <= CAST({{scan_to}} AS DATE))
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY site, origin_device_id ORDER BY event_time DESC, event_type) AS recency
    FROM local_events
    WHERE ({{from}} IS NULL OR CAST(local_time AS DATE) >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR CAST(local_time AS DATE) <= CAST({{to}} AS DATE))
)
SELECT site, origin_device_id AS device, origin_device_class AS class, event_type AS last_event,
       replace(CAST(date_trunc('second', local_time) AS VARCHAR), 'T', ' ') || utc_offset AS last_seen,
       event_data AS state
FROM ranked
WHERE recency = 1
ORDER BY site, device;
