-- false-alarm-rate: per site and local month, the alarm episodes, how many were likely false
-- (ended by a user within {{cancel_window}} seconds, see false-alarms) and the false share. The
-- industry's false alarm factor is false dispatches per system per year: twelve months of
-- `likely_false` at one site.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
{{> alarm_episodes}}
SELECT site, site_name, substr(CAST(local_date AS VARCHAR), 1, 7) AS month,
       count(*) AS episodes,
       sum(CASE WHEN likely_false THEN 1 ELSE 0 END) AS likely_false,
       round(sum(CASE WHEN likely_false THEN 1.0 ELSE 0.0 END) / count(*), 3) AS false_share
FROM local_episodes
GROUP BY site, site_name, substr(CAST(local_date AS VARCHAR), 1, 7)
ORDER BY site, month;
