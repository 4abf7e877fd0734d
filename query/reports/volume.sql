-- volume: events per day and hour, by table and message type.
-- Parameters ({{site}}, {{from}}, {{to}}) are NULL when not given.
SELECT date, hour, tbl AS "table", kind, count(*) AS events
FROM (
    SELECT date, hour, site, 'alarm_events' AS tbl, message_type AS kind FROM alarm_events
    UNION ALL SELECT date, hour, site, 'mode_events', event_type FROM mode_events
    UNION ALL SELECT date, hour, site, 'camera_media', media_kind FROM camera_media
    UNION ALL SELECT date, hour, site, 'dead_letters', reason FROM dead_letters
) AS events
WHERE ({{site}} IS NULL OR site = {{site}})
  AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
GROUP BY date, hour, tbl, kind
ORDER BY date, hour, tbl, kind;
