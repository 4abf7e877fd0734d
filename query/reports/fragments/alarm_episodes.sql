-- Alarm episodes and how each ended (shared by false-alarms and false-alarm-rate). An episode
-- is a site's run of alarm reports (Contact ID medical, fire, panic, burglary, general, gas and
-- CO codes, qualifier 1) up to the first end after them: a 406 cancel, a 401 opening (a
-- disarm), or the keypad's alarm clearing while it shows disarmed. When several ends come at
-- the same instant, the cancel is preferred to the disarm, and the disarm to the keypad.
lrr AS (
    SELECT site, event_time, event_code, event_description, event_data
    FROM alarm_events
    WHERE message_type = 'lrr' AND event_status = 1
      AND event_code IN ({{> alarm_codes}}, '0x401', '0x406')
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
keypad AS (
    SELECT site, event_time, alarm_sounding, arm_state,
           LAG(alarm_sounding) OVER (
               PARTITION BY site
               ORDER BY event_time, length(sequence_number), sequence_number, sub_sequence_number, event_index
           ) AS was_sounding
    FROM alarm_events
    -- Only rows with the siren on or the alarm in memory: the first row after the siren stops
    -- still has the memory, so every clearing is seen, and the window is over few rows.
    WHERE message_type = 'keypad' AND (alarm_sounding OR alarm_event_occurred)
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
marks AS (
    SELECT site, event_time,
           CASE WHEN event_code IN ('0x401', '0x406') THEN 'end' ELSE 'alarm' END AS kind,
           CASE event_code WHEN '0x406' THEN 'cancel' WHEN '0x401' THEN 'disarm' END AS ended_by,
           CASE event_code WHEN '0x406' THEN 1 WHEN '0x401' THEN 2 ELSE 0 END AS preference,
           event_code, event_description, event_data
    FROM lrr
    UNION ALL
    SELECT site, event_time, 'end', 'keypad', 3, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
    FROM keypad
    WHERE was_sounding AND NOT alarm_sounding AND arm_state = 'disarmed'
),
alarms AS (
    SELECT *, row_number() OVER (PARTITION BY site, ended_at ORDER BY event_time, event_code, event_data) AS nth
    FROM (
        SELECT *, min(CASE WHEN kind = 'end' THEN event_time END) OVER (
                      PARTITION BY site ORDER BY event_time, kind
                      ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS ended_at
        FROM marks
    ) AS with_ends
    WHERE kind = 'alarm'
),
ends AS (
    SELECT site, event_time, ended_by, user_number
    FROM (
        SELECT site, event_time, ended_by, event_data AS user_number,
               row_number() OVER (PARTITION BY site, event_time ORDER BY preference) AS choice
        FROM marks
        WHERE kind = 'end'
    ) AS ranked
    WHERE choice = 1
),
episodes AS (
    SELECT a.site, a.event_data AS zone, a.event_code, a.event_description AS alarm,
           a.event_time AS started_at, a.ended_at, e.ended_by, e.user_number,
           date_part('epoch', a.ended_at) - date_part('epoch', a.event_time) AS seconds_to_end,
           a.ended_at IS NOT NULL
               AND date_part('epoch', a.ended_at) - date_part('epoch', a.event_time) <= {{cancel_window}}
               AS likely_false
    FROM alarms a
    LEFT JOIN ends e ON e.site = a.site AND e.event_time = a.ended_at
    WHERE a.nth = 1
),
local_episodes AS (
    SELECT ep.*, s.site_name,
           CAST(CAST(ep.started_at AS TIMESTAMP) + os.shift AS DATE) AS local_date,
           replace(CAST(date_trunc('second', CAST(ep.started_at AS TIMESTAMP) + os.shift) AS VARCHAR), 'T', ' ')
               || os.utc_offset AS local_start,
           replace(CAST(date_trunc('second', CAST(ep.ended_at AS TIMESTAMP) + oe.shift) AS VARCHAR), 'T', ' ')
               || oe.utc_offset AS local_end
    FROM episodes ep
    LEFT JOIN sites s ON s.site = ep.site
    JOIN offsets os ON os.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', ep.started_at) >= os.valid_from AND date_part('epoch', ep.started_at) < os.valid_until
    LEFT JOIN offsets oe ON oe.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', ep.ended_at) >= oe.valid_from AND date_part('epoch', ep.ended_at) < oe.valid_until
    WHERE ({{from}} IS NULL OR CAST(CAST(ep.started_at AS TIMESTAMP) + os.shift AS DATE) >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR CAST(CAST(ep.started_at AS TIMESTAMP) + os.shift AS DATE) <= CAST({{to}} AS DATE))
)
