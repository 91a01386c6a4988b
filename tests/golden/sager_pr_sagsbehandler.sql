-- params: {}
SELECT CAST(s."case_id" AS VARCHAR) AS unit_id,
    s.case_id AS case_id, coalesce(CAST(s."team" AS VARCHAR), '(ukendt)') AS team, coalesce(CAST(s."caseworker" AS VARCHAR), '(ukendt)') AS caseworker, CASE WHEN s."birth_date" IS NULL OR CAST(s."opened_on" AS DATE) IS NULL THEN '(ukendt)' WHEN date_sub('year', s."birth_date", CAST(s."opened_on" AS DATE)) <= 5 THEN '0-5 år' WHEN date_sub('year', s."birth_date", CAST(s."opened_on" AS DATE)) <= 11 THEN '6-11 år' WHEN date_sub('year', s."birth_date", CAST(s."opened_on" AS DATE)) <= 14 THEN '12-14 år' WHEN date_sub('year', s."birth_date", CAST(s."opened_on" AS DATE)) <= 17 THEN '15-17 år' ELSE '18 år og derover' END AS age_band, '(ikke relevant)' AS measure_type, '(ikke relevant)' AS notifier_type, coalesce(__regime, '(ikke relevant)') AS regime,
    CAST(s."opened_on" AS DATE) AS start_date, CAST(NULL AS DATE) AS due_date,
    CAST(NULL AS DATE) AS completed_date, CAST(NULL AS TIMESTAMP) AS start_at,
    CAST(NULL AS TIMESTAMP) AS due_at, CAST(NULL AS TIMESTAMP) AS completed_at, 'open' AS status,
    CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS DATE) AS event_date,
    FALSE AS in_den, TRUE AS in_num,
    FALSE AS is_pending, FALSE AS is_overdue_open, CAST(NULL AS BIGINT) AS days,
    CAST(NULL AS DOUBLE) AS metric, CAST(CAST(s."caseworker" AS VARCHAR) AS VARCHAR) AS per_value,
    CAST(CAST(s."opened_on" AS DATE) AS DATE) AS open_from, CAST(CAST(s."closed_on" AS DATE) AS DATE) AS open_until
  FROM (SELECT s.*, NULL AS __regime FROM (SELECT * FROM v_cases) s) s
  WHERE s."opened_on" IS NOT NULL
