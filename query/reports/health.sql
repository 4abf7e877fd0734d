-- health: records that could not be decoded, by reason, and when they were seen.
SELECT reason, count(*) AS records, count(DISTINCT site) AS sites,
       min(arrival_time) AS first_seen, max(arrival_time) AS last_seen
FROM dead_letters
WHERE ({{site}} IS NULL OR site = {{site}})
  AND ({{from}} IS NULL OR date >= CAST({{from}} AS DATE))
  AND ({{to}} IS NULL OR date <= CAST({{to}} AS DATE))
GROUP BY reason
ORDER BY records DESC, reason;
