-- arming: the arm/disarm timeline per site. Keypad rows give every change of the arm state
-- (the bitfield and display, read with a window function); LRR open/close reports say which
-- user did it. Times are local to each site (the sites table's zone, else --tz), with the UTC
-- offset; --from and --to are local dates.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
keypad AS (
    SELECT site, event_time, arm_state,
           LAG(arm_state) OVER (
               PARTITION BY site
               ORDER BY event_time, length(sequence_number), sequence_number, sub_sequence_number, event_index
           ) AS previous
    FROM alarm_events
    WHERE message_type = 'keypad'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
changes AS (
    SELECT site, event_time, 'keypad' AS source, previous AS from_state, arm_state AS to_state,
           CAST(NULL AS VARCHAR) AS user_number
    FROM keypad
    WHERE previous IS DISTINCT FROM arm_state
),
reports AS (
    SELECT site, event_time, 'lrr' AS source, CAST(NULL AS VARCHAR) AS from_state,
           CASE WHEN event_status = 1 THEN 'disarmed'
                WHEN event_code = '0x441' THEN 'stay'
                ELSE 'away' END AS to_state,
           event_data AS user_number
    FROM alarm_events
    WHERE message_type = 'lrr' AND event_code IN ('0x401', '0x441')
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
timeline AS (
    SELECT t.*, CAST(t.event_time AS TIMESTAMP) + o.shift AS local_time, o.utc_offset
    FROM (SELECT * FROM changes UNION ALL SELECT * FROM reports) AS t
    LEFT JOIN sites s ON s.site = t.site
    JOIN offsets o ON o.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', t.event_time) >= o.valid_from AND date_part('epoch', t.event_time) < o.valid_until
)
SELECT site, replace(CAST(date_trunc('second', local_time) AS VARCHAR), 'T', ' ') || utc_offset AS at,
       source, from_state, to_state, user_number
FROM timeline
WHERE ({{from}} IS NULL OR CAST(local_time AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(local_time AS DATE) <= CAST({{to}} AS DATE))
ORDER BY site, event_time, source;
