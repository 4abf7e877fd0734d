-- silent-panels: panels whose last periodic test (Contact ID 602) or whose last message of any
-- kind is more than {{hours}} hours old: a dead communicator stops the tests, a relay gone
-- offline stops everything. "Now" is the newest panel message in the lake, so that an old lake
-- reads sensibly. Sites in the sites table that never sent anything (no panel message, no
-- MODE event) are listed too. Times are local to each site, with their UTC offset.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
panels AS (
    SELECT site, max(event_time) AS last_message,
           max(CASE WHEN message_type = 'lrr' AND event_code = '0x602' THEN event_time END) AS last_test
    FROM alarm_events
    WHERE ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
    GROUP BY site
),
newest AS (
    SELECT max(last_message) AS now FROM panels
),
known AS (
    SELECT coalesce(p.site, s.site) AS site, s.site_name, coalesce(s.time_zone, {{tz}}) AS time_zone,
           p.last_message, p.last_test
    FROM panels p
    FULL OUTER JOIN sites s ON s.site = p.site
    WHERE ({{site}} IS NULL OR coalesce(p.site, s.site) = {{site}})
      -- A listed site with MODE devices but no panel is not a silent panel.
      AND NOT (p.site IS NULL AND EXISTS (SELECT 1 FROM mode_events m WHERE m.site = s.site))
),
ages AS (
    SELECT k.*,
           (date_part('epoch', n.now) - date_part('epoch', k.last_test)) / 3600.0 AS test_hours,
           (date_part('epoch', n.now) - date_part('epoch', k.last_message)) / 3600.0 AS message_hours
    FROM known k CROSS JOIN newest n
)
SELECT a.site, a.site_name,
       CASE WHEN a.last_message IS NULL THEN 'never reported'
            WHEN a.message_hours > {{hours}} THEN 'no messages'
            WHEN a.last_test IS NULL THEN 'no periodic test seen'
            ELSE 'periodic test overdue' END AS reason,
       replace(CAST(date_trunc('second', CAST(a.last_test AS TIMESTAMP) + ot.shift) AS VARCHAR), 'T', ' ')
           || ot.utc_offset AS last_test,
       replace(CAST(date_trunc('second', CAST(a.last_message AS TIMESTAMP) + om.shift) AS VARCHAR), 'T', ' ')
           || om.utc_offset AS last_message,
       round(a.test_hours, 1) AS hours_since_test,
       round(a.message_hours, 1) AS hours_since_message
FROM ages a
LEFT JOIN offsets ot ON ot.time_zone = a.time_zone
    AND date_part('epoch', a.last_test) >= ot.valid_from AND date_part('epoch', a.last_test) < ot.valid_until
LEFT JOIN offsets om ON om.time_zone = a.time_zone
    AND date_part('epoch', a.last_message) >= om.valid_from AND date_part('epoch', a.last_message) < om.valid_until
WHERE a.last_message IS NULL OR a.last_test IS NULL OR a.test_hours > {{hours}} OR a.message_hours > {{hours}}
ORDER BY a.site;
