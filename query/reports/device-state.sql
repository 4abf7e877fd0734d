-- device-state: every change of state of every MODE device, with the moment of change, the state
-- before and after, and how long the previous state lasted; the newest row of each device and
-- kind is its current state. A state is the data of an event that reports one (power-status,
-- a switch, a lock, ...): telemetry (heartbeats, time series) is left out. The state's text is
-- the event's data without braces and quotes, e.g. `power-status:off`. Times are local to each
-- site, with their UTC offset.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
states AS (
    SELECT site, origin_device_id AS device, origin_device_class AS class, event_type AS kind, event_time,
           replace(replace(replace(event_data, '{', ''), '}', ''), '"', '') AS state
    FROM mode_events
    WHERE event_type NOT IN ('heartbeat', 'realtimeData', 'timeSeriesData')
      AND event_data NOT LIKE '%timeSeriesData%'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
changes AS (
    SELECT *
    FROM (
        SELECT *, LAG(state) OVER (PARTITION BY site, device, kind ORDER BY event_time, state) AS previous
        FROM states
    ) AS ordered
    WHERE previous IS NULL OR previous <> state
),
spans AS (
    SELECT *,
           LAG(event_time) OVER (PARTITION BY site, device, kind ORDER BY event_time) AS previous_since,
           LEAD(event_time) OVER (PARTITION BY site, device, kind ORDER BY event_time) AS next_change
    FROM changes
)
SELECT sp.site, s.site_name, sp.device, sp.class, sp.kind,
       replace(CAST(date_trunc('second', CAST(sp.event_time AS TIMESTAMP) + o.shift) AS VARCHAR), 'T', ' ')
           || o.utc_offset AS changed_at,
       sp.previous AS from_state, sp.state AS to_state,
       round((date_part('epoch', sp.event_time) - date_part('epoch', sp.previous_since)) / 60.0, 1)
           AS previous_lasted_minutes,
       sp.next_change IS NULL AS is_current
FROM spans sp
LEFT JOIN sites s ON s.site = sp.site
JOIN offsets o ON o.time_zone = coalesce(s.time_zone, {{tz}})
    AND date_part('epoch', sp.event_time) >= o.valid_from AND date_part('epoch', sp.event_time) < o.valid_until
WHERE ({{from}} IS NULL OR CAST(CAST(sp.event_time AS TIMESTAMP) + o.shift AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(CAST(sp.event_time AS TIMESTAMP) + o.shift AS DATE) <= CAST({{to}} AS DATE))
ORDER BY sp.site, sp.device, sp.kind, sp.event_time;
