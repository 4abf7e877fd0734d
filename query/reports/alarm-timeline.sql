-- alarm-timeline: one alarm at one site, step by step: the faults before it (the keypad's FAULT
-- display, RF sensors and zone expanders), the entry delay, the siren, the report to the
-- monitoring station, the cancel or disarm and the restores, with
-- the seconds since the previous step and since the first. The incident is the site's latest
-- alarm in the --from/--to range; it is shown from three minutes before that alarm's first
-- report to three minutes after the user ended it (or fifteen minutes after it, if nobody did).
-- A step that is already under way when the view begins (the entry delay, the siren, a
-- fault) is shown at the first row that has it. Times are local to the site, with their UTC
-- offset.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
site_events AS (
    SELECT *
    FROM alarm_events
    WHERE site = {{site}}
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
zone_of_site AS (
    SELECT coalesce(max(time_zone), {{tz}}) AS time_zone FROM sites WHERE site = {{site}}
),
alarm_reports AS (
    SELECT event_time, LAG(event_time) OVER (ORDER BY event_time) AS previous_alarm
    FROM site_events
    WHERE message_type = 'lrr' AND event_status = 1
      AND event_code IN ('0x100', '0x110', '0x111', '0x112', '0x113', '0x114', '0x115', '0x116', '0x117', '0x118',
                         '0x120', '0x121', '0x122', '0x123', '0x130', '0x131', '0x132', '0x133', '0x134', '0x135',
                         '0x136', '0x137', '0x140', '0x146', '0x151', '0x162')
),
incident AS (
    SELECT max(a.event_time) AS alarm_at
    FROM alarm_reports a
    CROSS JOIN zone_of_site z
    JOIN offsets o ON o.time_zone = z.time_zone
        AND date_part('epoch', a.event_time) >= o.valid_from AND date_part('epoch', a.event_time) < o.valid_until
    WHERE (a.previous_alarm IS NULL OR date_part('epoch', a.event_time) - date_part('epoch', a.previous_alarm) > 600)
      AND ({{from}} IS NULL OR CAST(CAST(a.event_time AS TIMESTAMP) + o.shift AS DATE) >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR CAST(CAST(a.event_time AS TIMESTAMP) + o.shift AS DATE) <= CAST({{to}} AS DATE))
),
ended AS (
    SELECT i.alarm_at, min(e.event_time) AS ended_at
    FROM incident i
    LEFT JOIN site_events e ON e.message_type = 'lrr' AND e.event_status = 1
        AND e.event_code IN ('0x401', '0x406') AND e.event_time >= i.alarm_at
    GROUP BY i.alarm_at
),
bounds AS (
    SELECT date_part('epoch', alarm_at) - 180 AS first_second,
           CASE WHEN ended_at IS NULL THEN date_part('epoch', alarm_at) + 900
                ELSE date_part('epoch', ended_at) + 180 END AS last_second
    FROM ended
    WHERE alarm_at IS NOT NULL
),
nearby AS (
    SELECT e.*,
           e.text LIKE 'DISARM SYSTEM%' AS entering,
           LAG(e.arm_state) OVER keypad_order AS previous_arm_state,
           LAG(e.alarm_sounding) OVER keypad_order AS was_sounding,
           LAG(e.text LIKE 'DISARM SYSTEM%') OVER keypad_order AS was_entering,
           LAG(e.text LIKE 'FAULT%') OVER keypad_order AS was_fault,
           LAG(e.ready) OVER keypad_order AS was_ready,
           LAG(e.loop1) OVER (PARTITION BY e.message_type, e.serial_number ORDER BY e.event_time) AS previous_loop1,
           LAG(e.value) OVER (PARTITION BY e.message_type, e.address, e.channel ORDER BY e.event_time) AS previous_value
    FROM site_events e
    CROSS JOIN bounds b
    WHERE date_part('epoch', e.event_time) BETWEEN b.first_second AND b.last_second
    WINDOW keypad_order AS (
        PARTITION BY e.message_type
        ORDER BY e.event_time, length(e.sequence_number), e.sequence_number, e.sub_sequence_number, e.event_index)
),
steps AS (
    SELECT event_time, 'alarm sounding' AS what, trim(text) AS detail, message_type AS source
    FROM nearby WHERE message_type = 'keypad' AND alarm_sounding AND NOT coalesce(was_sounding, false)
    UNION ALL
    SELECT event_time, 'alarm silenced', trim(text), message_type
    FROM nearby WHERE message_type = 'keypad' AND NOT alarm_sounding AND was_sounding
    UNION ALL
    SELECT event_time, 'entry delay', trim(text), message_type
    FROM nearby WHERE message_type = 'keypad' AND entering AND NOT coalesce(was_entering, false)
    UNION ALL
    SELECT event_time, 'fault', trim(text), message_type
    FROM nearby WHERE message_type = 'keypad' AND text LIKE 'FAULT%' AND NOT coalesce(was_fault, false)
    UNION ALL
    SELECT event_time, 'ready (all zones closed)', trim(text), message_type
    FROM nearby WHERE message_type = 'keypad' AND ready AND NOT was_ready
    UNION ALL
    SELECT event_time, CASE WHEN arm_state = 'disarmed' THEN 'disarmed' ELSE 'armed ' || arm_state END,
           trim(text), message_type
    FROM nearby WHERE message_type = 'keypad' AND arm_state <> previous_arm_state
    UNION ALL
    SELECT event_time, CASE WHEN loop1 THEN 'fault' ELSE 'restore' END, 'RF sensor ' || serial_number, message_type
    FROM nearby
    WHERE message_type = 'rf' AND (loop1 <> previous_loop1 OR (previous_loop1 IS NULL AND loop1))
    UNION ALL
    SELECT event_time, CASE WHEN value = 1 THEN 'fault' ELSE 'restore' END,
           'expander ' || CAST(address AS VARCHAR) || ' channel ' || CAST(channel AS VARCHAR), message_type
    FROM nearby
    WHERE message_type = 'expander' AND (value <> previous_value OR (previous_value IS NULL AND value = 1))
    UNION ALL
    SELECT event_time,
           CASE WHEN event_code = '0x406' THEN 'cancel reported'
                WHEN event_code = '0x401' AND event_status = 1 THEN 'disarm reported'
                WHEN event_code IN ('0x401', '0x441') THEN 'arm reported'
                WHEN event_status = 1 THEN 'alarm reported'
                ELSE 'restore reported' END,
           event_description || ' (' || CASE WHEN event_data_type = 'U' THEN 'user ' ELSE 'zone ' END
               || event_data || ')',
           message_type
    FROM nearby WHERE message_type = 'lrr'
),
numbered AS (
    SELECT *,
           row_number() OVER (ORDER BY event_time, source, what) AS step,
           LAG(event_time) OVER (ORDER BY event_time, source, what) AS previous_time,
           min(event_time) OVER () AS first_time
    FROM steps
)
SELECT n.step, {{site}} AS site,
       replace(CAST(date_trunc('second', CAST(n.event_time AS TIMESTAMP) + o.shift) AS VARCHAR), 'T', ' ')
           || o.utc_offset AS at,
       round(date_part('epoch', n.event_time) - date_part('epoch', n.previous_time), 1) AS seconds_since_previous,
       round(date_part('epoch', n.event_time) - date_part('epoch', n.first_time), 1) AS seconds_since_first,
       n.what, n.detail, n.source
FROM numbered n
CROSS JOIN zone_of_site z
JOIN offsets o ON o.time_zone = z.time_zone
    AND date_part('epoch', n.event_time) >= o.valid_from AND date_part('epoch', n.event_time) < o.valid_until
ORDER BY n.step;
