-- zones: the zones that fault most. A fault is counted when the keypad starts showing a zone
-- (the display repeats every few seconds while it stays open, so rows are not faults).
-- With several zones open at once the display cycles between them, and each turn counts.
-- --from and --to are local dates (the sites table's zone, else --tz).
WITH sites AS ({{sites}}),
offsets AS ({{offsets}}),
keypad AS (
    SELECT site, event_time, zone, zone_name,
           LAG(zone) OVER (
               PARTITION BY site
               ORDER BY event_time, length(sequence_number), sequence_number, sub_sequence_number, event_index
           ) AS previous_zone
    FROM alarm_events
    WHERE message_type = 'keypad'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{scan_from}} IS NULL OR date >= CAST({{scan_from}} AS DATE))
      AND ({{scan_to}} IS NULL OR date <= CAST({{scan_to}} AS DATE))
),
faults AS (
    SELECT f.site, f.zone, f.zone_name, CAST(CAST(f.event_time AS TIMESTAMP) + o.shift AS DATE) AS local_date
    FROM keypad f
    LEFT JOIN sites s ON s.site = f.site
    JOIN offsets o ON o.time_zone = coalesce(s.time_zone, {{tz}})
        AND date_part('epoch', f.event_time) >= o.valid_from AND date_part('epoch', f.event_time) < o.valid_until
    WHERE f.zone IS NOT NULL AND (f.previous_zone IS NULL OR f.previous_zone <> f.zone)
)
SELECT zone, zone_name, count(*) AS faults, count(DISTINCT site) AS sites
FROM faults
WHERE ({{from}} IS NULL OR local_date >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR local_date <= CAST({{to}} AS DATE))
GROUP BY zone, zone_name
ORDER BY faults DESC, zone, zone_name;
