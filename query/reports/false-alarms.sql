-- false-alarms: alarm episodes that a user ended within {{cancel_window}} seconds of their start
-- (a Contact ID 406 cancel, a disarm, or the keypad's alarm clearing on a disarm): the likely
-- false alarms a monitoring company reviews before it dispatches or bills. Times are local to
-- each site (its zone in --sites, else --tz), with their UTC offset.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
{{> alarm_episodes}}
SELECT site, site_name, zone, alarm, local_start AS started, local_end AS ended, ended_by,
       user_number, CAST(seconds_to_end AS BIGINT) AS seconds
FROM local_episodes
WHERE likely_false
ORDER BY site, started_at;
