-- params: {"k_0": "Serviceloven § 70: 3 måneder", "k_1": "Barnets Lov § 95, stk. 2: 3 måneder efter start, eller når en sideløbende undersøgelse afsluttes"}
SELECT unit_id, case_id, team, caseworker, age_band, measure_type, notifier_type, regime, start_date, due_date,
    completed_date, start_at, due_at, completed_at, status, rule,
    CASE status WHEN 'on_time' THEN greatest(completed_date, start_date)
                WHEN 'late' THEN due_date ELSE $as_of END AS event_date,
    status IN ('on_time', 'late') AS in_den, status = 'on_time' AS in_num,
    status = 'pending' AS is_pending,
    (status = 'late' AND completed_date IS NULL
     AND NOT coalesce(closes_on <= $as_of, FALSE)) AS is_overdue_open,
    date_diff('day', due_date, coalesce(completed_date,
      CASE WHEN closes_on <= $as_of THEN greatest(closes_on, due_date) END, $as_of)) AS days,
    CAST(NULL AS DOUBLE) AS metric, CAST(NULL AS VARCHAR) AS per_value,
    CAST(NULL AS DATE) AS open_from, CAST(NULL AS DATE) AS open_until
FROM (
  SELECT st.*,
    CASE WHEN completed_date IS NOT NULL THEN
           CASE WHEN on_time THEN 'on_time' ELSE 'late' END
         WHEN due_date >= $as_of THEN 'pending' ELSE 'late' END AS status
  FROM (SELECT CAST(s."measure_id" AS VARCHAR) AS unit_id,
    s.case_id AS case_id, coalesce(CAST(s."team" AS VARCHAR), '(ukendt)') AS team, coalesce(CAST(s."caseworker" AS VARCHAR), '(ukendt)') AS caseworker, CASE WHEN s."birth_date" IS NULL OR CAST(s."started_on" AS DATE) IS NULL THEN '(ukendt)' WHEN date_sub('year', s."birth_date", CAST(s."started_on" AS DATE)) <= 5 THEN '0-5 år' WHEN date_sub('year', s."birth_date", CAST(s."started_on" AS DATE)) <= 11 THEN '6-11 år' WHEN date_sub('year', s."birth_date", CAST(s."started_on" AS DATE)) <= 14 THEN '12-14 år' WHEN date_sub('year', s."birth_date", CAST(s."started_on" AS DATE)) <= 17 THEN '15-17 år' ELSE '18 år og derover' END AS age_band, coalesce(CAST(s."measure_type" AS VARCHAR), '(ukendt)') AS measure_type, '(ikke relevant)' AS notifier_type, coalesce(__regime, '(ikke relevant)') AS regime,
    CAST(s."started_on" AS DATE) AS start_date,
    CASE WHEN __regime = 'sel' THEN add_months_clamped(CAST(s."started_on" AS DATE), 3) WHEN __regime = 'barnets_lov' THEN coalesce(least(add_months_clamped(CAST(s."started_on" AS DATE), 3), CAST(s."parallel_bfu_completed_on" AS DATE)), add_months_clamped(CAST(s."started_on" AS DATE), 3)) END AS due_date,
    CAST(s."first_follow_up_on" AS DATE) AS completed_date,
    CASE WHEN __regime = 'sel' THEN (CAST(s."first_follow_up_on" AS DATE) <= add_months_clamped(CAST(s."started_on" AS DATE), 3)) WHEN __regime = 'barnets_lov' THEN (CAST(s."first_follow_up_on" AS DATE) <= coalesce(least(add_months_clamped(CAST(s."started_on" AS DATE), 3), CAST(s."parallel_bfu_completed_on" AS DATE)), add_months_clamped(CAST(s."started_on" AS DATE), 3))) END AS on_time,
    CASE WHEN __regime = 'sel' THEN $k_0 WHEN __regime = 'barnets_lov' THEN $k_1 END AS rule,
    CAST(NULL AS TIMESTAMP) AS start_at,
    CAST(CASE WHEN __regime = 'sel' THEN NULL WHEN __regime = 'barnets_lov' THEN NULL END AS TIMESTAMP) AS due_at,
    CAST(NULL AS TIMESTAMP) AS completed_at,
    CAST(s."ended_on" AS DATE) AS ends_on,
    CAST(s."ended_on" AS DATE) AS closes_on
  FROM (SELECT s.*, CASE WHEN (CAST(s."decided_on" AS DATE)) IS NULL THEN NULL WHEN CAST(CAST(s."decided_on" AS DATE) AS DATE) >= DATE '2024-01-01' THEN 'barnets_lov' ELSE 'sel' END AS __regime FROM (SELECT t.*, c.team, c.caseworker, c.birth_date,
  (SELECT min(f.held_on) FROM v_follow_ups f
     WHERE f.measure_id = t.measure_id AND f.held_on >= t.started_on) AS "first_follow_up_on",
  (SELECT min(i.completed_on) FROM v_investigations i
     WHERE i.case_id = t.case_id AND i.aware_on <= t.started_on
       AND i.completed_on > t.started_on) AS "parallel_bfu_completed_on"
FROM v_measures t JOIN v_cases c ON c.case_id = t.case_id) s) s
  WHERE s."started_on" IS NOT NULL) st
  WHERE due_date IS NOT NULL
    AND NOT (completed_date IS NULL AND ends_on IS NOT NULL AND ends_on <= $as_of
             AND ends_on < due_date)
) x
