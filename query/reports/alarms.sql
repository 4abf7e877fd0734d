-- alarms: alarm episodes the panel reported to its monitoring station (LRR Contact ID: medical,
-- fire, panic, burglary, general alarm, gas, CO), with the zone, what the code means, and how
-- long until someone disarmed (Contact ID 401 open) or cancelled (406) at that site. An
-- episode nobody has ended yet has no end. Times are local to each site (the sites table's
-- zone, else --tz), with the UTC offset; --from and --to are local dates.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
lrr AS (
    SELECT site, event_time, event_code, event_description, event_data,
           CASE WHEN event_code IN ('0x401', '0x406') THEN 'end' ELSE 'alarm' END AS kind
    FROM alarm_events
    WHERE message_type = 'lrr' AND event_status = 1
      AND event_code IN ({{> alarm_codes}}, '0x401', '0x406')
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
ends AS (
    SELECT *,
           min(CASE WHEN kind = 'end' THEN event_time END) OVER (
               PARTITION BY site ORDER BY event_time, kind, event_code, event_data
               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS ended_at
    FROM lrr
),
episodes AS (
    SELECT e.site, e.event_time, e.ended_at, e.event_code, e.event_description, e.event_data,
           CAST(e.event_time AS TIMESTAMP) + os.shift AS local_start, os.utc_offset AS start_offset,
           CAST(e.ended_at AS TIMESTAMP) + oe.shift AS local_end, oe.utc_offset AS end_offset
    FROM ends e
    LEFT JOIN sites s ON s.site = e.site
    JOIN offsets os ON os.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', e.event_time) >= os.valid_from AND date_part('epoch', e.event_time) < os.valid_until
    LEFT JOIN offsets oe ON oe.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', e.ended_at) >= oe.valid_from AND date_part('epoch', e.ended_at) < oe.valid_until
    WHERE e.kind = 'alarm'
)
SELECT site,
       replace(CAST(date_trunc('second', local_start) AS VARCHAR), 'T', ' ') || start_offset AS started,
       replace(CAST(date_trunc('second', local_end) AS VARCHAR), 'T', ' ') || end_offset AS ended,
       event_code, event_description, event_data AS zone,
       round((date_part('epoch', ended_at) - date_part('epoch', event_time)) / 60.0, 1) AS minutes
FROM episodes
WHERE ({{from}} IS NULL OR CAST(local_start AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(local_start AS DATE) <= CAST({{to}} AS DATE))
ORDER BY site, event_time, event_code, zone;
