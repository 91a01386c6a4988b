-- v_cases
SELECT "case_id", "child_id", CASE WHEN CAST("birth_date" AS DATE) <= $as_of THEN "birth_date" END AS "birth_date", "team", "caseworker", "opened_on", CASE WHEN CAST("closed_on" AS DATE) <= $as_of THEN "closed_on" END AS "closed_on" FROM "cases" WHERE CAST("opened_on" AS DATE) <= $as_of

-- v_notifications
SELECT "notification_id", "case_id", "received_at", "received_at_has_time", "notifier_type", CASE WHEN CAST("assessed_at" AS DATE) <= $as_of THEN "assessed_at" END AS "assessed_at", "assessed_at_has_time", CASE WHEN CAST("acknowledged_on" AS DATE) <= $as_of THEN "acknowledged_on" END AS "acknowledged_on", "acute_action" FROM "notifications" WHERE CAST("received_at" AS DATE) <= $as_of

-- v_investigations
SELECT "investigation_id", "case_id", "aware_on", CASE WHEN CAST("decided_on" AS DATE) <= $as_of THEN "decided_on" END AS "decided_on", CASE WHEN CAST("completed_on" AS DATE) <= $as_of THEN "completed_on" END AS "completed_on", CASE WHEN CAST("preliminary_assessment_on" AS DATE) <= $as_of THEN "preliminary_assessment_on" END AS "preliminary_assessment_on", "parental_competence_assessed" FROM "investigations" WHERE CAST("aware_on" AS DATE) <= $as_of

-- v_child_interviews
SELECT "interview_id", "case_id", "occasion", "held_on", "exemption_reason", "recorded_on" FROM "child_interviews" WHERE CAST(coalesce("held_on", "recorded_on") AS DATE) <= $as_of

-- v_measures
SELECT "measure_id", "case_id", "measure_type", "legal_basis", "decided_on", CASE WHEN CAST("started_on" AS DATE) <= $as_of THEN "started_on" END AS "started_on", "ended_on", "plan_decided" FROM "measures" WHERE CAST("decided_on" AS DATE) <= $as_of

-- v_plans
SELECT "plan_id", "case_id", "measure_id", "plan_type", "prepared_on", "goals_total", "goals_measurable" FROM "plans" WHERE CAST("prepared_on" AS DATE) <= $as_of

-- v_follow_ups
SELECT "follow_up_id", "measure_id", "held_on", "next_due_on" FROM "follow_ups" WHERE CAST("held_on" AS DATE) <= $as_of

-- v_supervision_visits
SELECT "visit_id", "measure_id", "held_on", "child_spoken_to" FROM "supervision_visits" WHERE CAST("held_on" AS DATE) <= $as_of
