-- AC-loss days: days on which a keypad reported the panel running on battery.
SELECT date, site, count(*) AS messages_on_battery
FROM alarm_events
WHERE message_type = 'keypad' AND NOT ac_power
GROUP BY date, site
ORDER BY date, site;
