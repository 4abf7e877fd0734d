-- zones: the zones that fault most. A fault is counted when the keypad starts showing a zone
-- (the display repeats every few seconds while it stays open, so rows are not faults).
-- With several zones open at once the display cycles between them, and each turn counts.
WITH keypad AS (
    SELECT site, zone, zone_name,
           LAG(zone) OVER (
               PARTITION BY site
               ORDER BY event_time, length(sequence_number), sequence_number, sub_sequence_number, event_index
           ) AS previous_zone
    FROM alarm_events
    WHERE message_type = 'keypad'
      AND ({{site}} IS NULL OR site = {{site}})
      AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
      AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
)
SELECT zone, zone_name, count(*) AS faults, count(DISTINCT site) AS sites
FROM keypad
WHERE zone IS NOT NULL AND (previous_zone IS NULL OR previous_zone <> zone)
GROUP BY zone, zone_name
ORDER BY faults DESC, zone, zone_name;
