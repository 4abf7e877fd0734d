-- volume: events per day and hour, by table and message type, in each site's local time (the
-- sites table's zone, else --tz). Rows are counted per UTC hour first and each hour is then
-- placed at its local start, so in a zone with a half-hour offset an "hour" starts at :30.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
hours AS (
    SELECT site, date_trunc('hour', event_time) AS hour_start, tbl, kind, count(*) AS events
    FROM (
        SELECT date, site, event_time, 'alarm_events' AS tbl, message_type AS kind FROM alarm_events
        UNION ALL SELECT date, site, event_time, 'mode_events', event_type FROM mode_events
        UNION ALL SELECT date, site, event_time, 'camera_media', media_kind FROM camera_media
        UNION ALL SELECT date, site, event_time, 'dead_letters', reason FROM dead_letters
    ) AS events
    WHERE ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
    GROUP BY site, date_trunc('hour', event_time), tbl, kind
),
local_hours AS (
    SELECT CAST(h.hour_start AS TIMESTAMP) + o.shift AS local_start, h.tbl, h.kind, h.events
    FROM hours h
    LEFT JOIN sites s ON s.site = h.site
    JOIN offsets o ON o.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', h.hour_start) >= o.valid_from AND date_part('epoch', h.hour_start) < o.valid_until
)
SELECT CAST(local_start AS DATE) AS date, CAST(date_part('hour', local_start) AS INTEGER) AS hour,
       tbl AS "table", kind, sum(events) AS events
FROM local_hours
WHERE ({{from}} IS NULL OR CAST(local_start AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(local_start AS DATE) <= CAST({{to}} AS DATE))
GROUP BY CAST(local_start AS DATE), CAST(date_part('hour', local_start) AS INTEGER), tbl, kind
ORDER BY date, hour, "table", kind;
