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
      AND event_code IN ({{> alarm_codes}})
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
-- A row can be several steps at once (the keypad row that silences the siren also shows the
-- disarm): each row is paired with the six kinds of step and keeps those that apply. One pass
-- over `nearby`, so the site's rows are read once.
kinds AS (
    SELECT * FROM (VALUES (1), (2), (3), (4), (5), (6)) AS step_kinds(kind)
),
candidates AS (
    SELECT n.event_time, n.message_type AS source,
           CASE
               WHEN n.message_type = 'keypad' THEN CASE k.kind
                   WHEN 1 THEN CASE WHEN n.alarm_sounding AND NOT coalesce(n.was_sounding, false)
                                    THEN 'alarm sounding' END
                   WHEN 2 THEN CASE WHEN NOT n.alarm_sounding AND n.was_sounding THEN 'alarm silenced' END
                   WHEN 3 THEN CASE WHEN n.entering AND NOT coalesce(n.was_entering, false)
                                    THEN 'entry delay' END
                   WHEN 4 THEN CASE WHEN n.text LIKE 'FAULT%' AND NOT coalesce(n.was_fault, false)
                                    THEN 'fault' END
                   WHEN 5 THEN CASE WHEN n.ready AND NOT n.was_ready THEN 'ready (all zones closed)' END
                   WHEN 6 THEN CASE WHEN n.arm_state <> n.previous_arm_state
                                    THEN CASE WHEN n.arm_state = 'disarmed' THEN 'disarmed'
                                              ELSE 'armed ' || n.arm_state END END
               END
               WHEN k.kind <> 1 THEN NULL
               WHEN n.message_type = 'rf'
                    AND (n.loop1 <> n.previous_loop1 OR (n.previous_loop1 IS NULL AND n.loop1))
                   THEN CASE WHEN n.loop1 THEN 'fault' ELSE 'restore' END
               WHEN n.message_type = 'expander'
                    AND (n.value <> n.previous_value OR (n.previous_value IS NULL AND n.value = 1))
                   THEN CASE WHEN n.value = 1 THEN 'fault' ELSE 'restore' END
               WHEN n.message_type = 'lrr' THEN
                   CASE WHEN n.event_code = '0x406' THEN 'cancel reported'
                        WHEN n.event_code = '0x401' AND n.event_status = 1 THEN 'disarm reported'
                        WHEN n.event_code IN ('0x401', '0x441') THEN 'arm reported'
                        WHEN n.event_status = 1 THEN 'alarm reported'
                        ELSE 'restore reported' END
           END AS what,
           CASE n.message_type
               WHEN 'keypad' THEN trim(n.text)
               WHEN 'rf' THEN 'RF sensor ' || n.serial_number
               WHEN 'expander' THEN 'expander ' || CAST(n.address AS VARCHAR) || ' channel '
                   || CAST(n.channel AS VARCHAR)
               ELSE n.event_description || ' ('
                   || CASE WHEN n.event_data_type = 'U' THEN 'user ' ELSE 'zone ' END || n.event_data || ')'
           END AS detail
    FROM nearby n
    CROSS JOIN kinds k
),
steps AS (
    SELECT event_time, what, detail, source FROM candidates WHERE what IS NOT NULL
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
