-- openings: the opening/closing audit. Each disarm (opening) and arm (closing) with its user,
-- its method and partition, in the site's local time with the UTC offset. LRR reports (Contact
-- ID 400-409 but 406, and 441; qualifier 1 opens and 3 closes) carry the user; a keypad's change of arm
-- state counts only when no report of the same action came within a minute of it (panels that
-- do not report). Flags: `failed to close` (Contact ID 454, the panel was not armed by its
-- closing time), and, where the sites table gives opening hours, `late to close` (armed after
-- closing time) and `early to open` (disarmed before opening time).
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
reports AS (
    SELECT site, event_time,
           CASE WHEN event_code = '0x454' THEN 'failed to close'
                WHEN event_status = 1 THEN 'open' ELSE 'close' END AS action,
           CASE WHEN event_code = '0x454' THEN CAST(NULL AS VARCHAR)
                WHEN event_status = 1 THEN 'disarmed'
                WHEN event_code = '0x441' THEN 'stay'
                ELSE 'away' END AS arm_state,
           event_data AS user_number, 'lrr ' || event_code AS method, partition
    FROM alarm_events
    WHERE message_type = 'lrr'
      AND (event_code IN ('0x400', '0x401', '0x402', '0x403', '0x404', '0x405', '0x407', '0x408', '0x409', '0x441')
           OR (event_code = '0x454' AND event_status = 1))
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
keypad AS (
    SELECT site, event_time, arm_state,
           LAG(arm_state) OVER (
               PARTITION BY site
               ORDER BY event_time, length(sequence_number), sequence_number, sub_sequence_number, event_index
           ) AS previous
    FROM alarm_events
    WHERE message_type = 'keypad' AND arm_state IS NOT NULL
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
keypad_changes AS (
    SELECT site, event_time,
           CASE WHEN arm_state = 'disarmed' THEN 'open' ELSE 'close' END AS action,
           arm_state, CAST(NULL AS VARCHAR) AS user_number, 'keypad' AS method,
           CAST(NULL AS INTEGER) AS partition
    FROM keypad k
    WHERE previous IS NOT NULL AND previous <> arm_state
      AND (arm_state = 'disarmed' OR previous = 'disarmed')
      AND NOT EXISTS (
          SELECT 1 FROM reports r
          WHERE r.site = k.site
            AND r.action = CASE WHEN k.arm_state = 'disarmed' THEN 'open' ELSE 'close' END
            AND abs(date_part('epoch', r.event_time) - date_part('epoch', k.event_time)) <= 60)
),
actions AS (
    SELECT * FROM reports
    UNION ALL
    SELECT * FROM keypad_changes
),
local_actions AS (
    SELECT a.*, s.site_name, s.opens_minute, s.closes_minute, o.utc_offset,
           CAST(a.event_time AS TIMESTAMP) + o.shift AS local_time
    FROM actions a
    LEFT JOIN sites s ON s.site = a.site
    JOIN offsets o ON o.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', a.event_time) >= o.valid_from AND date_part('epoch', a.event_time) < o.valid_until
)
SELECT site, site_name,
       replace(CAST(date_trunc('second', local_time) AS VARCHAR), 'T', ' ') || utc_offset AS at,
       action, arm_state, user_number, method, partition,
       CASE WHEN action = 'failed to close' THEN 'failed to close'
            WHEN action = 'close' AND closes_minute IS NOT NULL
                 AND (date_part('hour', local_time) * 60 + date_part('minute', local_time) > closes_minute
                      OR date_part('hour', local_time) * 60 + date_part('minute', local_time) < opens_minute)
                THEN 'late to close'
            WHEN action = 'open' AND opens_minute IS NOT NULL
                 AND date_part('hour', local_time) * 60 + date_part('minute', local_time) < opens_minute
                THEN 'early to open'
       END AS flag
FROM local_actions
WHERE ({{from}} IS NULL OR CAST(local_time AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(local_time AS DATE) <= CAST({{to}} AS DATE))
ORDER BY site, event_time, method, action;
