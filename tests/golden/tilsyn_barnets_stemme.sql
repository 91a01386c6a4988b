-- params: {"k_0": "ja", "k_1": "ledelsestilsyn", "k_2": "tilsyn_barnets_stemme"}
SELECT CAST(s."finding_id" AS VARCHAR) AS unit_id,
    s.case_id AS case_id, coalesce(CAST(s."team" AS VARCHAR), '(ukendt)') AS team, coalesce(CAST(s."caseworker" AS VARCHAR), '(ukendt)') AS caseworker, CASE WHEN s."birth_date" IS NULL OR CAST(s."review_date" AS DATE) IS NULL THEN '(ukendt)' WHEN date_sub('year', s."birth_date", CAST(s."review_date" AS DATE)) <= 5 THEN '0-5 år' WHEN date_sub('year', s."birth_date", CAST(s."review_date" AS DATE)) <= 11 THEN '6-11 år' WHEN date_sub('year', s."birth_date", CAST(s."review_date" AS DATE)) <= 14 THEN '12-14 år' WHEN date_sub('year', s."birth_date", CAST(s."review_date" AS DATE)) <= 17 THEN '15-17 år' ELSE '18 år og derover' END AS age_band, '(ikke relevant)' AS measure_type, '(ikke relevant)' AS notifier_type, coalesce(__regime, '(ikke relevant)') AS regime,
    CAST(s."review_date" AS DATE) AS start_date, CAST(NULL AS DATE) AS due_date,
    CAST(NULL AS DATE) AS completed_date, CAST(NULL AS TIMESTAMP) AS start_at,
    CAST(NULL AS TIMESTAMP) AS due_at, CAST(NULL AS TIMESTAMP) AS completed_at, CASE WHEN s.__cond THEN 'met' ELSE 'not_met' END AS status,
    CAST(NULL AS VARCHAR) AS rule, CAST(CAST(s."review_date" AS DATE) AS DATE) AS event_date,
    TRUE AS in_den, s.__cond AS in_num,
    FALSE AS is_pending, FALSE AS is_overdue_open, CAST(NULL AS BIGINT) AS days,
    CAST(NULL AS DOUBLE) AS metric, CAST(NULL AS VARCHAR) AS per_value,
    CAST(NULL AS DATE) AS open_from, CAST(NULL AS DATE) AS open_until
  FROM (SELECT s.*, coalesce((s."answer" = $k_0), FALSE) AS __cond FROM (SELECT s.*, NULL AS __regime FROM (SELECT t.*, c.birth_date FROM review_findings t
LEFT JOIN v_cases c ON c.case_id = t.case_id) s) s) s
  WHERE s."review_date" IS NOT NULL AND coalesce((((s."programme_id" = $k_1) AND (s."question_id" = $k_2)) AND s."counted"), FALSE)
