-- LRR users for one week: who armed, disarmed and cancelled, from the panel's reports.
SELECT site, event_data AS user_number, event_description, count(*) AS reports
FROM alarm_events
WHERE message_type = 'lrr' AND event_data_type = 'U'
  AND date BETWEEN DATE '{{week_start}}' AND DATE '{{week_end}}'
GROUP BY site, event_data, event_description
ORDER BY site, user_number, event_description;
