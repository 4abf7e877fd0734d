-- troubles: trouble conditions the panels reported (Contact ID, qualifier 1 opens and 3 clears):
-- panel and RF low battery, RF supervision loss, AC loss, failure to communicate, and tamper,
-- per site and zone, with when each opened and cleared and how long it lasted. Open ones come
-- first; their hours run to the newest panel message in the lake ("now", so that an old lake
-- reads sensibly). Times are local to each site, with their UTC offset.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
reports AS (
    SELECT site, event_time, event_status, event_code,
           CASE WHEN event_code IN ('0x301', '0x302', '0x309', '0x311', '0x350', '0x353', '0x354')
                THEN CAST(NULL AS VARCHAR) ELSE event_data END AS zone,
           CASE WHEN event_code = '0x301' THEN 'AC loss'
                WHEN event_code IN ('0x302', '0x309', '0x311') THEN 'panel low battery'
                WHEN event_code = '0x384' THEN 'RF low battery'
                WHEN event_code = '0x381' THEN 'RF supervision loss'
                WHEN event_code IN ('0x350', '0x353', '0x354') THEN 'fail to communicate'
                ELSE 'tamper' END AS trouble
    FROM alarm_events
    WHERE message_type = 'lrr' AND event_status IN (1, 3)
      AND event_code IN ('0x301', '0x302', '0x309', '0x311', '0x381', '0x384', '0x350', '0x353', '0x354',
                         '0x137', '0x144', '0x145', '0x383')
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
-- Only changes count: a repeated report of a trouble already open neither reopens nor moves it.
changes AS (
    SELECT *
    FROM (
        SELECT *, LAG(event_status) OVER (
                      PARTITION BY site, trouble, zone ORDER BY event_time, event_status) AS previous
        FROM reports
    ) AS ordered
    WHERE previous IS NULL OR previous <> event_status
),
spans AS (
    SELECT site, trouble, zone, event_status, event_time AS opened_at,
           LEAD(event_time) OVER (PARTITION BY site, trouble, zone ORDER BY event_time) AS cleared_at
    FROM changes
),
newest AS (
    SELECT max(event_time) AS now
    FROM alarm_events
    WHERE ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
)
SELECT sp.site, s.site_name, sp.trouble, sp.zone,
       CASE WHEN sp.cleared_at IS NULL THEN 'open' ELSE 'cleared' END AS state,
       replace(CAST(date_trunc('second', CAST(sp.opened_at AS TIMESTAMP) + oo.shift) AS VARCHAR), 'T', ' ')
           || oo.utc_offset AS opened,
       replace(CAST(date_trunc('second', CAST(sp.cleared_at AS TIMESTAMP) + oc.shift) AS VARCHAR), 'T', ' ')
           || oc.utc_offset AS cleared,
       round((date_part('epoch', coalesce(sp.cleared_at, n.now)) - date_part('epoch', sp.opened_at)) / 3600.0, 2)
           AS hours
FROM spans sp
CROSS JOIN newest n
LEFT JOIN sites s ON s.site = sp.site
JOIN offsets oo ON oo.time_zone = coalesce(s.time_zone, {{tz}})
    AND date_part('epoch', sp.opened_at) >= oo.valid_from AND date_part('epoch', sp.opened_at) < oo.valid_until
LEFT JOIN offsets oc ON oc.time_zone = coalesce(s.time_zone, {{tz}})
    AND date_part('epoch', sp.cleared_at) >= oc.valid_from AND date_part('epoch', sp.cleared_at) < oc.valid_until
WHERE sp.event_status = 1
  AND ({{from}} IS NULL OR CAST(CAST(sp.opened_at AS TIMESTAMP) + oo.shift AS DATE) >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR CAST(CAST(sp.opened_at AS TIMESTAMP) + oo.shift AS DATE) <= CAST({{to}} AS DATE))
ORDER BY CASE WHEN sp.cleared_at IS NULL THEN 0 ELSE 1 END, sp.site, sp.opened_at, sp.trouble, sp.zone;
