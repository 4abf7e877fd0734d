-- devices: the latest event of every MODE device (a device-shadow view), and when it came.
WITH ranked AS (
    SELECT site, origin_device_id, origin_device_class, event_type, event_time, event_data,
           row_number() OVER (PARTITION BY site, origin_device_id ORDER BY event_time DESC, event_type) AS recency
    FROM mode_events
    WHERE ({{site}} IS NULL OR site = {{site}})
      AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
)
SELECT site, origin_device_id AS device, origin_device_class AS class, event_type AS last_event,
       event_time AS last_seen, event_data AS state
FROM ranked
WHERE recency = 1
ORDER BY site, device;
