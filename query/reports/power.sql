-- power: AC loss episodes with start, end and duration in minutes, from the panels' LRR
-- reports (Contact ID 301: qualifier 1 lost, 3 restored) and from MODE power-status devices.
-- An episode still open has no end.
WITH panel AS (
    SELECT site, event_time, event_status,
           LEAD(event_time) OVER (PARTITION BY site ORDER BY event_time, event_status) AS next_time,
           LEAD(event_status) OVER (PARTITION BY site ORDER BY event_time, event_status) AS next_status
    FROM alarm_events
    WHERE message_type = 'lrr' AND event_code = '0x301'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
),
devices AS (
    SELECT site, origin_device_id, event_time, event_data,
           LEAD(event_time) OVER (PARTITION BY site, origin_device_id ORDER BY event_time) AS next_time,
           LEAD(event_data) OVER (PARTITION BY site, origin_device_id ORDER BY event_time) AS next_data
    FROM mode_events
    WHERE event_type = 'power-status'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
),
episodes AS (
    SELECT site, 'panel' AS source, event_time AS lost_at,
           CASE WHEN next_status = 3 THEN next_time END AS restored_at
    FROM panel WHERE event_status = 1
    UNION ALL
    SELECT site, 'device ' || CAST(origin_device_id AS VARCHAR) AS source, event_time AS lost_at,
           CASE WHEN next_data LIKE '%"on"%' THEN next_time END AS restored_at
    FROM devices WHERE event_data LIKE '%"off"%'
)
SELECT site, source, lost_at, restored_at,
       round((date_part('epoch', restored_at) - date_part('epoch', lost_at)) / 60.0, 1) AS minutes
FROM episodes
ORDER BY site, lost_at, source;
