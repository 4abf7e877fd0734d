-- silent: MODE hubs whose heartbeats stopped for more than {{minutes}} minutes (they send one
-- every five), with when they went silent and when they came back. A device still silent at the
-- lake's newest event has no `back_at`; "now" is that newest event, so old lakes read sensibly.
-- Times are local to each site (the sites table's zone, else --tz), with the UTC offset;
-- --from and --to are local dates.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
beats AS (
    SELECT site, origin_device_id, event_time,
           LEAD(event_time) OVER (PARTITION BY site, origin_device_id ORDER BY event_time) AS next_beat
    FROM mode_events
    WHERE event_type = 'heartbeat'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
newest AS (
    SELECT max(event_time) AS now
    FROM mode_events
    WHERE ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
gaps AS (
    SELECT b.*, (date_part('epoch', coalesce(b.next_beat, n.now)) - date_part('epoch', b.event_time)) / 60.0 AS minutes
    FROM beats b CROSS JOIN newest n
    WHERE (date_part('epoch', coalesce(b.next_beat, n.now)) - date_part('epoch', b.event_time)) / 60.0 > {{minutes}}
),
local_gaps AS (
    SELECT g.*, CAST(g.event_time AS TIMESTAMP) + os.shift AS local_silent, os.utc_offset AS silent_offset,
           CAST(g.next_beat AS TIMESTAMP) + ob.shift AS local_back, ob.utc_offset AS back_offset
    FROM gaps g
    LEFT JOIN sites s ON s.site = g.site
    JOIN offsets os ON os.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', g.event_time) >= os.valid_from AND date_part('epoch', g.event_time) < os.valid_until
    LEFT JOIN offsets ob ON ob.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', g.next_beat) >= ob.valid_from AND date_part('epoch', g.next_beat) < ob.valid_until
)
SELECT site, origin_device_id AS device,
       replace(CAST(date_trunc('second', local_silent) AS VARCHAR), 'T', ' ') || silent_offset AS silent_after,
       replace(CAST(date_trunc('second', local_back) AS VARCHAR), 'T', ' ') || back_offset AS back_at,
       round(minutes, 1) AS minutes
FROM local_gaps
WHERE ({{from}} IS NULL OR CAST(local_silent AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(local_silent AS DATE) <= CAST({{to}} AS DATE))
ORDER BY site, event_time;
