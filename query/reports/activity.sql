-- activity: what happens in the homes by day of week (0 = Sunday) and hour of day, in each
-- site's local time (the sites table's zone, else --tz): sensor changes (RF and expander zones)
-- and panel reports (LRR). The keypad's status repeats every few seconds whatever happens, so
-- it is left out.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
local_events AS (
    SELECT CAST(e.event_time AS TIMESTAMP) + o.shift AS local_time
    FROM alarm_events e
    LEFT JOIN sites s ON s.site = e.site
    JOIN offsets o ON o.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', e.event_time) >= o.valid_from AND date_part('epoch', e.event_time) < o.valid_until
    WHERE e.message_type IN ('rf', 'expander', 'lrr')
      AND ({{site}} IS NULL OR e.site = {{site}})
      AND ({{scan_from}} IS NULL OR e.date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR e.date <= CAST({{scan_to}} AS DATE))
)
SELECT CAST(date_part('dow', local_time) AS INTEGER) AS weekday,
       CAST(date_part('hour', local_time) AS INTEGER) AS hour_of_day,
       count(*) AS events
FROM local_events
WHERE ({{from}} IS NULL OR CAST(local_time AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(local_time AS DATE) <= CAST({{to}} AS DATE))
GROUP BY 1, 2
ORDER BY 1, 2;
