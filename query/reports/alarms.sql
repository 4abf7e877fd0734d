-- alarms: alarm reports the panel sent to its monitoring station (LRR Contact ID: medical,
-- fire, panic, burglary, general alarm, gas, CO), with the zone and what the code means.
SELECT site, event_time, event_code, event_description, event_data AS zone
FROM alarm_events
WHERE message_type = 'lrr' AND event_status = 1
  AND event_code IN ('0x100', '0x110', '0x111', '0x112', '0x113', '0x114', '0x115', '0x116', '0x117', '0x118',
                     '0x120', '0x121', '0x122', '0x123', '0x130', '0x131', '0x132', '0x133', '0x134', '0x135',
                     '0x136', '0x137', '0x140', '0x146', '0x151', '0x162')
  AND ({{site}} IS NULL OR site = {{site}})
  AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
ORDER BY site, event_time, event_code;
