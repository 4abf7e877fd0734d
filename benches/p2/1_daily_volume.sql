-- Daily volume: events per day and message type.
SELECT date, message_type, count(*) AS events
FROM alarm_events
GROUP BY date, message_type
ORDER BY date, message_type;
