-- Arm transitions: every change of the keypad's arm state, found with LAG.
SELECT site, event_time, previous_state, arm_state
FROM (
    SELECT site, event_time, arm_state,
           LAG(arm_state) OVER (PARTITION BY site ORDER BY event_time) AS previous_state
    FROM alarm_events
    WHERE message_type = 'keypad'
) AS keypad
WHERE previous_state IS DISTINCT FROM arm_state
ORDER BY site, event_time;
