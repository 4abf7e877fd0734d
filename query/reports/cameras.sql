-- cameras: clips by camera and local day (the site's zone from the sites table, else --tz), with
-- their size and the first and last capture, in local time with the UTC offset.
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
clips AS (
    SELECT c.site, c.camera, c.media_kind, c.size, c.capture_time,
           coalesce(s.time_zone, {{tz}}) AS time_zone,
           CAST(CAST(c.event_time AS TIMESTAMP) + o.shift AS DATE) AS local_date
    FROM camera_media c
    LEFT JOIN sites s ON s.site = c.site
    JOIN offsets o ON o.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', c.event_time) >= o.valid_from AND date_part('epoch', c.event_time) < o.valid_until
    WHERE ({{site}} IS NULL OR c.site = {{site}})
      AND ({{scan_from}} IS NULL OR c.date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR c.date <= CAST({{scan_to}} AS DATE))
),
days AS (
    SELECT site, camera, local_date, media_kind, time_zone, count(*) AS clips, sum(size) AS bytes,
           min(capture_time) AS first_capture, max(capture_time) AS last_capture
    FROM clips
    WHERE ({{from}} IS NULL OR local_date >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR local_date <= CAST({{to}} AS DATE))
    GROUP BY site, camera, local_date, media_kind, time_zone
)
SELECT d.camera, d.local_date AS date, d.media_kind, d.clips, d.bytes,
       replace(CAST(date_trunc('second', CAST(d.first_capture AS TIMESTAMP) + f.shift) AS VARCHAR), 'T', ' ')
           || f.utc_offset AS first_capture,
       replace(CAST(date_trunc('second', CAST(d.last_capture AS TIMESTAMP) + l.shift) AS VARCHAR), 'T', ' ')
           || l.utc_offset AS last_capture
FROM days d
JOIN offsets f ON f.time_zone = d.time_zone
    AND date_part('epoch', d.first_capture) >= f.valid_from AND date_part('epoch', d.first_capture) < f.valid_until
JOIN offsets l ON l.time_zone = d.time_zone
    AND date_part('epoch', d.last_capture) >= l.valid_from AND date_part('epoch', d.last_capture) < l.valid_until
ORDER BY d.camera, date, d.media_kind;
