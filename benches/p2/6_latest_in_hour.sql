-- One-hour lookup: the latest 50 events of one hour.
SELECT site, event_time, message_type, text, raw
FROM alarm_events
WHERE date = DATE '{{day}}' AND hour = {{hour}}
ORDER BY event_time DESC, site, message_type
LIMIT 50;
