-- activity: what happens in the homes by day of week (0 = Sunday) and hour of day, in UTC:
-- sensor changes (RF and expander zones) and panel reports (LRR). The keypad's status repeats
-- every few seconds whatever happens, so it is left out.
SELECT CAST(date_part('dow', event_time) AS INTEGER) AS weekday,
       CAST(date_part('hour', event_time) AS INTEGER) AS hour_of_day,
       count(*) AS events
FROM alarm_events
WHERE message_type IN ('rf', 'expander', 'lrr')
  AND ({{site}} IS NULL OR site = {{site}})
  AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
GROUP BY 1, 2
ORDER BY 1, 2;
