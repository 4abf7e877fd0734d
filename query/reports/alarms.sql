-- alarms: alarm episodes the panel reported to its monitoring station (LRR Contact ID: medical,
-- fire, panic, burglary, general alarm, gas, CO), with the zone, what the code means, and how
-- long until someone disarmed (Contact ID 401 open) or cancelled (406) at that site. An
-- episode nobody has ended yet has no `ended_at`.
WITH lrr AS (
    SELECT site, event_time, event_code, event_description, event_data,
           CASE WHEN event_code IN ('0x401', '0x406') THEN 'end' ELSE 'alarm' END AS kind
    FROM alarm_events
    WHERE message_type = 'lrr' AND event_status = 1
      AND event_code IN ('0x100', '0x110', '0x111', '0x112', '0x113', '0x114', '0x115', '0x116', '0x117', '0x118',
                         '0x120', '0x121', '0x122', '0x123', '0x130', '0x131', '0x132', '0x133', '0x134', '0x135',
                         '0x136', '0x137', '0x140', '0x146', '0x151', '0x162', '0x401', '0x406')
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
),
ends AS (
    SELECT *,
           min(CASE WHEN kind = 'end' THEN event_time END) OVER (
               PARTITION BY site ORDER BY event_time, kind, event_code, event_data
               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS ended_at
    FROM lrr
)
SELECT site, event_time AS started_at, ended_at, event_code, event_description, event_data AS zone,
       round((date_part('epoch', ended_at) - date_part('epoch', event_time)) / 60.0, 1) AS minutes
FROM ends
WHERE kind = 'alarm'
ORDER BY site, started_at, event_code, zone;
