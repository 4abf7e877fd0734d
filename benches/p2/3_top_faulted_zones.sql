-- Top faulted zones: the zones the keypads show as faulted most often.
SELECT site, zone, zone_name, count(*) AS faults
FROM alarm_events
WHERE zone_event = 'fault'
GROUP BY site, zone, zone_name
ORDER BY faults DESC, site, zone, zone_name
LIMIT 20;
