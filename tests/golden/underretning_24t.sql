-- params: {"k_0": "Serviceloven § 155, stk. 2: 24 timer fra modtagelse", "k_1": "Barnets Lov § 136: 24 timer fra modtagelse"}
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
  FROM (SELECT CAST(s."notification_id" AS VARCHAR) AS unit_id,
    s.case_id AS case_id, coalesce(CAST(s."team" AS VARCHAR), '(ukendt)') AS team, coalesce(CAST(s."caseworker" AS VARCHAR), '(ukendt)') AS caseworker, CASE WHEN s."birth_date" IS NULL OR CAST(s."received_at" AS DATE) IS NULL THEN '(ukendt)' WHEN date_sub('year', s."birth_date", CAST(s."received_at" AS DATE)) <= 5 THEN '0-5 år' WHEN date_sub('year', s."birth_date", CAST(s."received_at" AS DATE)) <= 11 THEN '6-11 år' WHEN date_sub('year', s."birth_date", CAST(s."received_at" AS DATE)) <= 14 THEN '12-14 år' WHEN date_sub('year', s."birth_date", CAST(s."received_at" AS DATE)) <= 17 THEN '15-17 år' ELSE '18 år og derover' END AS age_band, '(ikke relevant)' AS measure_type, coalesce(CAST(s."notifier_type" AS VARCHAR), '(ukendt)') AS notifier_type, coalesce(__regime, '(ikke relevant)') AS regime,
    CAST(s."received_at" AS DATE) AS start_date,
    CASE WHEN __regime = 'sel' THEN due_date_hours(s."received_at", s."received_at_has_time", 24) WHEN __regime = 'barnets_lov' THEN due_date_hours(s."received_at", s."received_at_has_time", 24) END AS due_date,
    CAST(s."assessed_at" AS DATE) AS completed_date,
    CASE WHEN __regime = 'sel' THEN on_time_hours(s."received_at", s."received_at_has_time", s."assessed_at", s."assessed_at_has_time", 24) WHEN __regime = 'barnets_lov' THEN on_time_hours(s."received_at", s."received_at_has_time", s."assessed_at", s."assessed_at_has_time", 24) END AS on_time,
    CASE WHEN __regime = 'sel' THEN $k_0 WHEN __regime = 'barnets_lov' THEN $k_1 END AS rule,
    CASE WHEN coalesce(s."received_at_has_time", FALSE) THEN s."received_at" END AS start_at,
    CAST(CASE WHEN __regime = 'sel' THEN CASE WHEN coalesce(s."received_at_has_time", FALSE) THEN CAST(timezone('Europe/Copenhagen', due_after_hours(s."received_at", 24)) AS TIMESTAMP) END WHEN __regime = 'barnets_lov' THEN CASE WHEN coalesce(s."received_at_has_time", FALSE) THEN CAST(timezone('Europe/Copenhagen', due_after_hours(s."received_at", 24)) AS TIMESTAMP) END END AS TIMESTAMP) AS due_at,
    CASE WHEN coalesce(s."assessed_at_has_time", FALSE) THEN s."assessed_at" END AS completed_at,
    NULL AS ends_on,
    NULL AS closes_on
  FROM (SELECT s.*, CASE WHEN (CAST(s."received_at" AS DATE)) IS NULL THEN NULL WHEN CAST(CAST(s."received_at" AS DATE) AS DATE) >= DATE '2024-01-01' THEN 'barnets_lov' ELSE 'sel' END AS __regime FROM (SELECT t.*, c.team, c.caseworker, c.birth_date FROM v_notifications t JOIN v_cases c ON c.case_id = t.case_id) s) s
  WHERE s."received_at" IS NOT NULL) st
  WHERE due_date IS NOT NULL
    AND NOT (completed_date IS NULL AND ends_on IS NOT NULL AND ends_on <= $as_of
             AND ends_on < due_date)
) x
