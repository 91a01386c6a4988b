-- params: {"k_0": 0, "k_1": 1}
SELECT CAST(s."plan_id" AS VARCHAR) AS unit_id,
    s.case_id AS case_id, coalesce(CAST(s."team" AS VARCHAR), '(ukendt)') AS team, coalesce(CAST(s."caseworker" AS VARCHAR), '(ukendt)') AS caseworker, CASE WHEN s."birth_date" IS NULL OR CAST(s."prepared_on" AS DATE) IS NULL THEN '(ukendt)' WHEN date_sub('year', s."birth_date", CAST(s."prepared_on" AS DATE)) <= 5 THEN '0-5 år' WHEN date_sub('year', s."birth_date", CAST(s."prepared_on" AS DATE)) <= 11 THEN '6-11 år' WHEN date_sub('year', s."birth_date", CAST(s."prepared_on" AS DATE)) <= 14 THEN '12-14 år' WHEN date_sub('year', s."birth_date", CAST(s."prepared_on" AS DATE)) <= 17 THEN '15-17 år' ELSE '18 år og derover' END AS age_band, coalesce(CAST(s."measure_type" AS VARCHAR), '(ukendt)') AS measure_type, '(ikke relevant)' AS notifier_type, coalesce(__regime, '(ikke relevant)') AS regime,
    CAST(s."prepared_on" AS DATE) AS start_date, CAST(NULL AS DATE) AS due_date,
    CAST(NULL AS DATE) AS completed_date, CAST(NULL AS TIMESTAMP) AS start_at,
    CAST(NULL AS TIMESTAMP) AS due_at, CAST(NULL AS TIMESTAMP) AS completed_at, CASE WHEN s.__cond THEN 'met' ELSE 'not_met' END AS status,
    CAST(NULL AS VARCHAR) AS rule, CAST(CAST(s."prepared_on" AS DATE) AS DATE) AS event_date,
    TRUE AS in_den, s.__cond AS in_num,
    FALSE AS is_pending, FALSE AS is_overdue_open, CAST(NULL AS BIGINT) AS days,
    CAST(NULL AS DOUBLE) AS metric, CAST(NULL AS VARCHAR) AS per_value,
    CAST(NULL AS DATE) AS open_from, CAST(NULL AS DATE) AS open_until
  FROM (SELECT s.*, coalesce(((coalesce(s."goals_total", $k_0) >= $k_1) AND (s."goals_measurable" = s."goals_total")), FALSE) AS __cond FROM (SELECT s.*, CASE WHEN (CAST(s."measure_decided_on" AS DATE)) IS NULL THEN NULL WHEN CAST(CAST(s."measure_decided_on" AS DATE) AS DATE) >= DATE '2024-01-01' THEN 'barnets_lov' ELSE 'sel' END AS __regime FROM (SELECT t.*, m.measure_type, m.decided_on AS measure_decided_on, c.team, c.caseworker, c.birth_date
FROM v_plans t JOIN v_cases c ON c.case_id = t.case_id LEFT JOIN v_measures m ON m.measure_id = t.measure_id) s) s) s
  WHERE s."prepared_on" IS NOT NULL
