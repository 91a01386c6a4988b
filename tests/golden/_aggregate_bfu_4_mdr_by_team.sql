-- params: {"as_of": "2025-06-30", "k0_0": "Serviceloven § 50: 4 måneder", "k0_1": "Barnets Lov § 20, stk. 3: 4 måneder", "p0_label": "2025-Q1", "p0_start": "2025-01-01", "p0_end": "2025-03-31"}
r0 AS (SELECT CAST(date_trunc('month', event_date) AS DATE) AS month, team,
  count(*) FILTER (WHERE in_num) AS n_num, count(*) FILTER (WHERE in_den) AS n_den,
  count(*) FILTER (WHERE is_pending) AS n_pending,
  count(*) FILTER (WHERE is_overdue_open) AS n_overdue
FROM (SELECT unit_id, case_id, team, caseworker, age_band, measure_type, notifier_type, regime, start_date, due_date,
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
  FROM (SELECT CAST(s."investigation_id" AS VARCHAR) AS unit_id,
    s.case_id AS case_id, coalesce(CAST(s."team" AS VARCHAR), '(ukendt)') AS team, coalesce(CAST(s."caseworker" AS VARCHAR), '(ukendt)') AS caseworker, CASE WHEN s."birth_date" IS NULL OR CAST(s."aware_on" AS DATE) IS NULL THEN '(ukendt)' WHEN date_sub('year', s."birth_date", CAST(s."aware_on" AS DATE)) <= 5 THEN '0-5 år' WHEN date_sub('year', s."birth_date", CAST(s."aware_on" AS DATE)) <= 11 THEN '6-11 år' WHEN date_sub('year', s."birth_date", CAST(s."aware_on" AS DATE)) <= 14 THEN '12-14 år' WHEN date_sub('year', s."birth_date", CAST(s."aware_on" AS DATE)) <= 17 THEN '15-17 år' ELSE '18 år og derover' END AS age_band, '(ikke relevant)' AS measure_type, '(ikke relevant)' AS notifier_type, coalesce(__regime, '(ikke relevant)') AS regime,
    CAST(s."aware_on" AS DATE) AS start_date,
    CASE WHEN __regime = 'sel' THEN add_months_clamped(CAST(s."aware_on" AS DATE), 4) WHEN __regime = 'barnets_lov' THEN add_months_clamped(CAST(s."aware_on" AS DATE), 4) END AS due_date,
    CAST(s."completed_on" AS DATE) AS completed_date,
    CASE WHEN __regime = 'sel' THEN (CAST(s."completed_on" AS DATE) <= add_months_clamped(CAST(s."aware_on" AS DATE), 4)) WHEN __regime = 'barnets_lov' THEN (CAST(s."completed_on" AS DATE) <= add_months_clamped(CAST(s."aware_on" AS DATE), 4)) END AS on_time,
    CASE WHEN __regime = 'sel' THEN $k0_0 WHEN __regime = 'barnets_lov' THEN $k0_1 END AS rule,
    CAST(NULL AS TIMESTAMP) AS start_at,
    CAST(CASE WHEN __regime = 'sel' THEN NULL WHEN __regime = 'barnets_lov' THEN NULL END AS TIMESTAMP) AS due_at,
    CAST(NULL AS TIMESTAMP) AS completed_at,
    NULL AS ends_on,
    NULL AS closes_on
  FROM (SELECT s.*, CASE WHEN (CAST(s."aware_on" AS DATE)) IS NULL THEN NULL WHEN CAST(CAST(s."aware_on" AS DATE) AS DATE) >= DATE '2024-01-01' THEN 'barnets_lov' ELSE 'sel' END AS __regime FROM (SELECT t.*, c.team, c.caseworker, c.birth_date FROM v_investigations t JOIN v_cases c ON c.case_id = t.case_id) s) s
  WHERE s."aware_on" IS NOT NULL) st
  WHERE due_date IS NOT NULL
    AND NOT (completed_date IS NULL AND ends_on IS NOT NULL AND ends_on <= $as_of
             AND ends_on < due_date)
) x)
GROUP BY ALL),
periods AS (SELECT * FROM (VALUES ($p0_label, CAST($p0_start AS DATE), CAST($p0_end AS DATE), 0)) AS t(label, p_start, p_end, ord)),
members AS (SELECT x.*, p.label FROM (SELECT 0 AS kpi_ord, p.ord, r.team, r.n_num, r.n_den, 0 AS n_pending, 0 AS n_overdue,
    CAST(NULL AS DOUBLE) AS metric, CAST(NULL AS VARCHAR) AS per_value
  FROM r0 r JOIN periods p ON r.month BETWEEN p.p_start AND p.p_end
UNION ALL
SELECT 0 AS kpi_ord, p.ord, r.team, 0, 0, r.n_pending, r.n_overdue, CAST(NULL AS DOUBLE), CAST(NULL AS VARCHAR)
  FROM r0 r JOIN periods p ON $as_of BETWEEN p.p_start AND p.p_end
  WHERE r.n_pending > 0 OR r.n_overdue > 0) x JOIN periods p ON p.ord = x.ord)
SELECT m.kpi_ord, m.label AS period, m.ord AS period_ord, m.team AS team, GROUPING(m.team) AS g_team,
  CAST(sum(m.n_num) AS BIGINT) AS numerator,
  CAST(sum(m.n_den) AS BIGINT) AS denominator,
  count(DISTINCT m.per_value) AS per_count,
  CAST(sum(m.n_pending) AS BIGINT) AS pending,
  CAST(sum(m.n_overdue) AS BIGINT) AS overdue_open,
  median(m.metric) AS median_value,
  quantile_cont(m.metric, 0.9) AS p90
FROM members m
GROUP BY GROUPING SETS ((m.kpi_ord, m.label, m.ord), (m.kpi_ord, m.label, m.ord, m.team))
ORDER BY kpi_ord, period_ord, g_team DESC, team
