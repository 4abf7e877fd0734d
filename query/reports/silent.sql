-- silent: MODE hubs whose heartbeats stopped for more than {{minutes}} minutes (they send one
-- every five), with when they went silent and when they came back. A device still silent at the
-- lake's newest event has no `back_at`; "now" is that newest event, so old lakes read sensibly.
WITH beats AS (
    SELECT site, origin_device_id, event_time,
           LEAD(event_time) OVER (PARTITION BY site, origin_device_id ORDER BY event_time) AS next_beat
    FROM mode_events
    WHERE event_type = 'heartbeat'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
),
newest AS (
    SELECT max(event_time) AS now
    FROM mode_events
    WHERE ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
)
SELECT site, origin_device_id AS device, event_time AS silent_after, next_beat AS back_at,
       round((date_part('epoch', coalesce(next_beat, now)) - date_part('epoch', event_time)) / 60.0, 1)
           AS minutes
FROM beats CROSS JOIN newest
WHERE (date_part('epoch', coalesce(next_beat, now)) - date_part('epoch', event_time)) / 60.0 > {{minutes}}
ORDER BY site, silent_after;
