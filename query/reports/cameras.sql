-- cameras: clips by camera and day, with their size.
SELECT camera, date, media_kind, count(*) AS clips, sum(size) AS bytes,
       min(capture_time) AS first_capture, max(capture_time) AS last_capture
FROM camera_media
WHERE ({{site}} IS NULL OR site = {{site}})
  AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
GROUP BY camera, date, media_kind
ORDER BY camera, date, media_kind;
