-- power: AC loss episodes with start, end and duration in minutes, from the panels' LRR
-- reports (Contact ID 301: qualifier 1 lost, 3 restored) and from MODE power-status devices.
-- An episode still open has no end. Times are local to each site (the sites table's zone, else
-- --tz), with the UTC offset; --from and --to are local dates.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
panel AS (
    SELECT site, event_time, event_status,
           LEAD(event_time) OVER (PARTITION BY site ORDER BY event_time, event_status) AS next_time,
           LEAD(event_status) OVER (PARTITION BY site ORDER BY event_time, event_status) AS next_status
    FROM alarm_events
    WHERE message_type = 'lrr' AND event_code = '0x301'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
devices AS (
    SELECT site, origin_device_id, event_time, event_data,
           LEAD(event_time) OVER (PARTITION BY site, origin_device_id ORDER BY event_time) AS next_time,
           LEAD(event_data) OVER (PARTITION BY site, origin_device_id ORDER BY event_time) AS next_data
    FROM mode_events
    WHERE event_type = 'power-status'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
episodes AS (
    SELECT site, 'panel' AS source, event_time AS lost_at,
           CASE WHEN next_status = 3 THEN next_time END AS restored_at
    FROM panel WHERE event_status = 1
    UNION ALL
    SELECT site, 'device ' || CAST(origin_device_id AS VARCHAR) AS source, event_time AS lost_at,
           CASE WHEN next_data LIKE '%"on"%' THEN next_time END AS restored_at
    FROM devices WHERE event_data LIKE '%"off"%'
),
local_episodes AS (
    SELECT e.*, CAST(e.lost_at AS TIMESTAMP) + ol.shift AS local_lost, ol.utc_offset AS lost_offset,
           CAST(e.restored_at AS TIMESTAMP) + orr.shift AS local_restored, orr.utc_offset AS restored_offset
    FROM episodes e
    LEFT JOIN sites s ON s.site = e.site
    JOIN offsets ol ON ol.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', e.lost_at) >= ol.valid_from AND date_part('epoch', e.lost_at) < ol.valid_until
    LEFT JOIN offsets orr ON orr.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', e.restored_at) >= orr.valid_from AND date_part('epoch', e.restored_at) < orr.valid_until
)
SELECT site, source,
       replace(CAST(date_trunc('second', local_lost) AS VARCHAR), 'T', ' ') || lost_offset AS lost,
       replace(CAST(date_trunc('second', local_restored) AS VARCHAR), 'T', ' ') || restored_offset AS restored,
       round((date_part('epoch', restored_at) - date_part('epoch', lost_at)) / 60.0, 1) AS minutes
FROM local_episodes
WHERE ({{from}} IS NULL OR CAST(local_lost AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(local_lost AS DATE) <= CAST({{to}} AS DATE))
ORDER BY site, lost_at, source;
