-- params: {"k_0": 2}
SELECT CAST(s."placement_year_id" AS VARCHAR) AS unit_id,
    s.case_id AS case_id, coalesce(CAST(s."team" AS VARCHAR), '(ukendt)') AS team, coalesce(CAST(s."caseworker" AS VARCHAR), '(ukendt)') AS caseworker, CASE WHEN s."birth_date" IS NULL OR CAST(s."year_end" AS DATE) IS NULL THEN '(ukendt)' WHEN date_sub('year', s."birth_date", CAST(s."year_end" AS DATE)) <= 5 THEN '0-5 år' WHEN date_sub('year', s."birth_date", CAST(s."year_end" AS DATE)) <= 11 THEN '6-11 år' WHEN date_sub('year', s."birth_date", CAST(s."year_end" AS DATE)) <= 14 THEN '12-14 år' WHEN date_sub('year', s."birth_date", CAST(s."year_end" AS DATE)) <= 17 THEN '15-17 år' ELSE '18 år og derover' END AS age_band, coalesce(CAST(s."measure_type" AS VARCHAR), '(ukendt)') AS measure_type, '(ikke relevant)' AS notifier_type, coalesce(__regime, '(ikke relevant)') AS regime,
    CAST(s."year_end" AS DATE) AS start_date, CAST(NULL AS DATE) AS due_date,
    CAST(NULL AS DATE) AS completed_date, CAST(NULL AS TIMESTAMP) AS start_at,
    CAST(NULL AS TIMESTAMP) AS due_at, CAST(NULL AS TIMESTAMP) AS completed_at, CASE WHEN s.__cond THEN 'met' ELSE 'not_met' END AS status,
    CAST(NULL AS VARCHAR) AS rule, CAST(CAST(s."year_end" AS DATE) AS DATE) AS event_date,
    TRUE AS in_den, s.__cond AS in_num,
    FALSE AS is_pending, FALSE AS is_overdue_open, CAST(NULL AS BIGINT) AS days,
    CAST(NULL AS DOUBLE) AS metric, CAST(NULL AS VARCHAR) AS per_value,
    CAST(NULL AS DATE) AS open_from, CAST(NULL AS DATE) AS open_until
  FROM (SELECT s.*, coalesce((s."visits_with_child" >= $k_0), FALSE) AS __cond FROM (SELECT s.*, CASE WHEN (CAST(s."year_start" AS DATE)) IS NULL THEN NULL WHEN CAST(CAST(s."year_start" AS DATE) AS DATE) >= DATE '2024-01-01' THEN 'barnets_lov' ELSE 'sel' END AS __regime FROM (SELECT y.*,
  (SELECT count(*) FROM v_supervision_visits v
     WHERE v.measure_id = y.measure_id AND v.child_spoken_to
       AND v.held_on BETWEEN y.year_start AND y.year_end) AS visits_with_child,
  (SELECT count(*) FROM v_supervision_visits v
     WHERE v.measure_id = y.measure_id
       AND v.held_on BETWEEN y.year_start AND y.year_end) AS visits_total
FROM (
  SELECT t.measure_id || '#' || CAST(k.range + 1 AS VARCHAR) AS placement_year_id,
    t.measure_id, t.case_id, t.measure_type, t.decided_on, t.started_on, t.ended_on,
    CAST(k.range + 1 AS INTEGER) AS year_no,
    add_months_clamped(t.started_on, CAST(12 * k.range AS INTEGER)) AS year_start,
    CAST(add_months_clamped(t.started_on, CAST(12 * (k.range + 1) AS INTEGER)) - 1 AS DATE)
      AS year_end,
    c.team, c.caseworker, c.birth_date
  FROM v_measures t JOIN v_cases c ON c.case_id = t.case_id
  CROSS JOIN range(0, 60) k
  WHERE t.measure_type IN ('placement', 'placement_without_consent')
    AND t.started_on IS NOT NULL
    AND add_months_clamped(t.started_on, CAST(12 * k.range AS INTEGER)) <= $as_of
) y
WHERE y.year_end <= $as_of
  AND (y.ended_on IS NULL OR y.ended_on > $as_of OR y.ended_on >= y.year_end)) s) s) s
  WHERE s."year_end" IS NOT NULL
