-- health: records that could not be decoded, by reason, and when they were first and last seen.
-- A dead letter's site may be unknown (it could not be read), so times are in --tz, with the
-- UTC offset, and --from and --to are --tz dates.
WITH offsets AS ({{offsets}}),
letters AS (
    SELECT d.reason, d.site, d.arrival_time
    FROM dead_letters d
    JOIN offsets o ON o.time_zone = {{tz}}
        AND date_part('epoch', d.arrival_time) >= o.valid_from AND date_part('epoch', d.arrival_time) < o.valid_until
    WHERE ({{site}} IS NULL OR d.site = {{site}})
      AND ({{scan_from}} IS NULL OR d.date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR d.date <= CAST({{scan_to}} AS DATE))
      AND ({{from}} IS NULL OR CAST(CAST(d.arrival_time AS TIMESTAMP) + o.shift AS DATE) >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR CAST(CAST(d.arrival_time AS TIMESTAMP) + o.shift AS DATE) <= CAST({{to}} AS DATE))
),
reasons AS (
    SELECT reason, count(*) AS records, count(DISTINCT site) AS sites,
           min(arrival_time) AS first_seen, max(arrival_time) AS last_seen
    FROM letters
    GROUP BY reason
)
SELECT r.reason, r.records, r.sites,
       replace(CAST(date_trunc('second', CAST(r.first_seen AS TIMESTAMP) + f.shift) AS VARCHAR), 'T', ' ')
           || f.utc_offset AS first_seen,
       replace(CAST(date_trunc('second', CAST(r.last_seen AS TIMESTAMP) + l.shift) AS VARCHAR), 'T', ' ')
           || l.utc_offset AS last_seen
FROM reasons r
JOIN offsets f ON f.time_zone = {{tz}}
    AND date_part('epoch', r.first_seen) >= f.valid_from AND date_part('epoch', r.first_seen) < f.valid_until
JOIN offsets l ON l.time_zone = {{tz}}
    AND date_part('epoch', r.last_seen) >= l.valid_from AND date_part('epoch', r.last_seen) < l.valid_until
ORDER BY r.records DESC, r.reason;
