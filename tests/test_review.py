"""Case review (issue 13): måleskema validation, the case frame and applicability, sampling,
pre-fill from the engine, the review store (lifecycle, audit, CPR, scope, concurrency, imports),
and findings as figures with Wilson intervals. Every expectation is worked out by hand from the
small export below."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from kpis import DEFAULT_KPIS
from kpis.access import audit
from kpis.compute.engine import Scope
from kpis.data.importer import run_import
from kpis.data.snapshot import connect, hold_snapshot
from kpis.review import figures, sampling, store
from kpis.review.frame import Window, case_frame
from kpis.review.model import Answer, PerCaseworker, RandomSample, round_label_da
from kpis.review.prefill import from_steps, prefill
from kpis.review.service import draw_sample
from kpis.review.validate import load_and_validate, validate_text
from kpis.rules.definitions import load_kpis

REVIEWS_YAML = Path("config/reviews.yaml")
AS_OF = date(2026, 6, 30)
KEY = b"test-key-for-case-review"
Q2 = Window("2026-Q2", date(2026, 4, 1), date(2026, 6, 30))

# Active in 2026-Q2 (opened by 30/6, not closed before 1/4): R01 R03 (Anne), R04 R05 (Bo),
# R06 R07 (Carl). R02 closed 15/2 and R08 (Dina's only case) closed in 2025: not active.
EXPORT = {
    "cases.csv": (
        "case_id,team,caseworker,opened_on,closed_on\n"
        "R01,Nord,Anne,2025-01-10,\n"
        "R02,Nord,Anne,2025-02-01,2026-02-15\n"
        "R03,Nord,Anne,2025-03-01,\n"
        "R04,Nord,Bo,2025-04-01,\n"
        "R05,Nord,Bo,2026-05-10,\n"
        "R06,Syd,Carl,2024-06-01,\n"
        "R07,Syd,Carl,2025-09-01,2026-04-15\n"
        "R08,Syd,Dina,2023-01-01,2025-12-31\n"
    ),
    "notifications.csv": (
        "notification_id,case_id,received_at,notifier_type,assessed_at\n"
        "N1,R05,2026-05-10T09:00,private,2026-05-10T15:00\n"
    ),
    # I1: aware 5/1, due 5/5, completed 1/6: late. I2: aware 20/1, due 20/5, completed 20/4.
    "investigations.csv": (
        "investigation_id,case_id,aware_on,completed_on\n"
        "I1,R01,2026-01-05,2026-06-01\n"
        "I2,R04,2026-01-20,2026-04-20\n"
    ),
    "measures.csv": (
        "measure_id,case_id,measure_type,decided_on,started_on,ended_on\n"
        "M1,R03,support,2026-05-02,2026-05-10,\n"
        "M2,R06,placement,2025-01-10,2025-01-10,\n"
    ),
    "plans.csv": (
        "plan_id,case_id,measure_id,plan_type,prepared_on,goals_total,goals_measurable\n"
        "P1,R06,M2,handleplan,2025-02-01,2,2\n"
    ),
}


def _import(folder: Path, db: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    run_import(folder, db, profile="canonical", as_of=AS_OF, pseudonym_key=KEY)


@pytest.fixture(scope="module")
def snap(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("review")
    db = tmp / "snapshot.duckdb"
    _import(tmp / "export", db, EXPORT)
    return db


@pytest.fixture
def reviews_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "reviews.sqlite"
    monkeypatch.setenv(store.REVIEWS_ENV, str(path))
    return path


@pytest.fixture(scope="module")
def config():
    return load_and_validate(REVIEWS_YAML)


# --- the måleskema --------------------------------------------------------------------------


def test_the_shipped_maaleskema_is_valid_and_covers_the_four_pejlemaerker(config):
    sm = config["sagsmaaling"]
    assert 20 <= len(sm.questions) <= 30
    marks = {q.pejlemaerke.value for q in sm.questions}
    assert marks == {"faglig_udredning", "valg_af_indsats", "opfoelgning", "inddragelse"}
    for q in sm.questions:
        assert set(q.answers) >= {Answer.JA, Answer.DELVIST, Answer.NEJ, Answer.IKKE_RELEVANT}
        assert q.legal_basis.sel and q.legal_basis.barnets_lov


def test_the_cli_validates_the_shipped_file(capsys):
    from kpis.cli import main

    assert main(["review", "validate", str(REVIEWS_YAML)]) == 0
    assert "27 spørgsmål, ingen problemer" in capsys.readouterr().out


BROKEN = """version: 1
programmes:
  - id: tilsyn
    name: Tilsyn
    purpose: ledelsestilsyn
    sampling: {method: per_caseworker, n: 1, window: quarter}
    questions:
      - id: q_one
        text: Er undersøgelsen god?
        guidance: Ja når den er god.
        pejlemaerke: faglig_udredning
        step: boernefaglig_undersoegelse
        legal_basis: {sel: "§ 50", barnets_lov: "§ 20"}
        kind: faglig_kvalitet
        applies_when: bfu_in_windw
      - id: q_two
        text: Er planen god?
        guidance: Ja når den er god.
        pejlemaerke: valg_af_indsats
        step: plan
        legal_basis: {sel: "§ 140", barnets_lov: "§ 91"}
        kind: faglig_kvalitet
        answers: [ja, nej]
        prefill: {kpi: bfu_4_mdrr}
  - id: maaling
    name: Måling
    purpose: sagsmaling
    sampling: {method: simple, n: 30}
    questions: []
"""


def test_every_problem_is_reported_with_its_line():
    cfg, problems = validate_text(BROKEN, "r.yaml", kpis_file=DEFAULT_KPIS)
    assert cfg is None
    by_line = {p.line: str(p) for p in problems}
    assert "ukendt kolonne 'bfu_in_windw'" in by_line[15]
    assert "mente du 'bfu_in_window'" in by_line[15]
    assert "mindst være ja, delvist, nej og ikke_relevant" in by_line[16]  # the question's line
    assert "ukendt værdi 'sagsmaling'" in by_line[27]
    assert all(str(p).startswith("r.yaml, linje ") for p in problems)


def test_an_unknown_prefill_kpi_is_named_with_a_suggestion():
    text = BROKEN.split("  - id: maaling")[0].replace("        answers: [ja, nej]\n", "")
    _, problems = validate_text(text, "r.yaml", kpis_file=DEFAULT_KPIS)
    messages = [str(p) for p in problems]
    assert any("linje 23" in m and "ukendt nøgletal 'bfu_4_mdrr'" in m
               and "mente du 'bfu_4_mdr'" in m for m in messages), messages


# --- the frame and applicability -------------------------------------------------------------


def test_the_frame_and_which_questions_apply(snap, config):
    lt = config["ledelsestilsyn"]
    conn = connect(snap)
    try:
        exprs = {q.id: q.applies_when for q in lt.questions if q.applies_when}
        df = case_frame(conn, Q2, criteria="active_in_window", expressions=exprs)
    finally:
        conn.close()
    assert df["case_id"].to_list() == ["R01", "R03", "R04", "R05", "R06", "R07"]
    applies = {qid: df.filter(pl.col(qid))["case_id"].to_list() for qid in exprs}
    assert applies == {
        "tilsyn_bfu_rettidig": ["R01", "R04"],  # BFUs completed 1/6 and 20/4
        "tilsyn_plan_maal": ["R06"],
        "tilsyn_opfoelgning": ["R03", "R06"],  # M1 started 10/5; the placement runs on
    }
    assert set(df["regime"]) == {"barnets_lov"}


def test_a_team_scope_limits_the_frame(snap):
    conn = connect(snap)
    try:
        df = case_frame(conn, Q2, criteria="active_in_window", teams=frozenset({"Syd"}))
    finally:
        conn.close()
    assert df["case_id"].to_list() == ["R06", "R07"]


# --- sampling -------------------------------------------------------------------------------


def _frame(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["case_id", "team", "caseworker"], orient="row")


FRAME = _frame([(f"A{i:02d}", "Nord", "Anne") for i in range(6)]
               + [(f"B{i:02d}", "Nord", "Bo") for i in range(3)]
               + [("C00", "Syd", "Carl")])


def test_every_caseworker_gets_their_n_and_the_same_seed_the_same_sample():
    first = sampling.draw_per_caseworker(FRAME, 2, seed=11)
    again = sampling.draw_per_caseworker(FRAME.reverse(), 2, seed=11)  # row order does not matter
    assert first == again
    per = {}
    for d in first:
        per.setdefault(d.caseworker, []).append(d.case_id)
    assert {k: len(v) for k, v in per.items()} == {"Anne": 2, "Bo": 2, "Carl": 1}  # Carl has 1
    assert all(c.startswith(w[0]) for w, cs in per.items() for c in cs)
    assert len({d.case_id for d in first}) == len(first)


def test_recently_reviewed_cases_are_not_drawn_again():
    exclude = frozenset({"A00", "A01", "A02", "A03", "B00"})
    drawn = sampling.draw_per_caseworker(FRAME, 2, seed=3, exclude=exclude)
    ids = {d.case_id for d in drawn}
    assert not ids & exclude
    assert {d.case_id for d in drawn if d.caseworker == "Anne"} == {"A04", "A05"}
    assert {d.case_id for d in drawn if d.caseworker == "Bo"} == {"B01", "B02"}


def test_allocation_over_teams_by_hand():
    # quotas 5*6/10 = 3, 5*3/10 = 1.5, 5*1/10 = 0.5: floors 3, 1, 0; the one left goes to the
    # larger remainder tie's larger stratum (B).
    assert sampling.allocate({"A": 6, "B": 3, "C": 1}, 5) == {"A": 3, "B": 2, "C": 0}
    assert sampling.allocate({"A": 2, "B": 1}, 10) == {"A": 2, "B": 1}


def test_team_stratified_and_simple_samples():
    frame = _frame([(f"N{i}", "Nord", "x") for i in range(6)]
                   + [(f"S{i}", "Syd", "y") for i in range(4)])
    drawn = sampling.draw_team_stratified(frame, 5, seed=1)
    teams = [d.team for d in drawn]
    assert teams.count("Nord") == 3 and teams.count("Syd") == 2  # 3.0 and 2.0 exactly
    assert drawn == sampling.draw_team_stratified(frame, 5, seed=1)
    assert drawn != sampling.draw_team_stratified(frame, 5, seed=2)
    simple = sampling.draw_simple(frame, 4, seed=9)
    assert len({d.case_id for d in simple}) == 4


def test_windows():
    rule = PerCaseworker(method="per_caseworker", n=1, window="quarter")
    assert sampling.window_for(rule, AS_OF) == Q2
    assert sampling.window_for(rule, AS_OF, "2026-Q1").end == date(2026, 3, 31)
    with pytest.raises(ValueError, match="kvartal"):
        sampling.window_for(rule, AS_OF, "2026-03")
    w = sampling.window_for(RandomSample(method="simple", n=3, lookback_months=12), AS_OF)
    assert (w.label, w.start, w.end) == ("12 mdr. til 30.06.2026", date(2025, 7, 1),
                                         date(2026, 6, 30))
    assert round_label_da("statusmaaling_1") == "Statusmåling 1"


def test_a_drawn_sample_is_stored_with_its_frame_and_redrawn_alike(snap, config, reviews_db):
    held = hold_snapshot(snap)
    conn = held.connect()
    try:
        lt = config["ledelsestilsyn"]
        draft = draw_sample(conn, held.meta.snapshot_id, AS_OF, lt, seed=5)
        assert draft.sample.frame_ids == ("R01", "R03", "R04", "R05", "R06", "R07")
        assert sorted(d.caseworker for d in draft.sample.cases) == ["Anne", "Bo", "Carl"]
        actor = store.Actor("lene", "department_head", Scope(teams=frozenset({"Nord", "Syd"})))
        sid = store.save_sample(draft.sample, actor)
        row = store.samples("ledelsestilsyn").row(0, named=True)
        assert (row["seed"], row["snapshot_id"]) == ("5", held.meta.snapshot_id)
        assert json.loads(row["rule_json"])["n"] == 1
        assert store.sample_frame(sid) == draft.sample.frame_ids
        # The next quarter leaves out the three drawn cases (drawn within 6 months).
        taken = {d.case_id for d in draft.sample.cases}
        nxt = draw_sample(conn, held.meta.snapshot_id, AS_OF, lt, seed=5, window_label="2026-Q3")
        assert nxt.excluded == taken
        assert not {d.case_id for d in nxt.sample.cases} & taken
    finally:
        conn.close()


def test_the_cli_prints_the_sample_the_app_draws(snap, reviews_db, capsys):
    from kpis.cli import main

    assert main(["review", "sample", "sagsmaaling", "--db", str(snap), "--seed", "4",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # Decisions 1/7/2025–30/6/2026: M1 on R03 (2/5/2026) only; M2 was decided in January 2025.
    assert out["eligible"] == 1
    assert [c["case_id"] for c in out["cases"]] == ["R03"]
    assert out["round"] == "nulpunktsmaaling" and out["seed"] == 4


def test_a_replacement_needs_a_reason_and_is_kept(reviews_db):
    frame = _frame([("A1", "Nord", "Anne"), ("A2", "Nord", "Anne"), ("A3", "Nord", "Anne")])
    drawn = sampling.draw_per_caseworker(frame, 1, seed=2)
    new = store.NewSample("ledelsestilsyn", "2026-Q2", "2026-Q2", Q2.start, Q2.end, 2, "snap",
                          {"n": 1}, ("A1", "A2", "A3"), tuple(drawn))
    actor = store.Actor("lene", "department_head", Scope(teams=frozenset({"Nord"})))
    sid = store.save_sample(new, actor)
    repl = sampling.replacement(frame, drawn, drawn[0].case_id, 2)
    assert repl is not None and repl.case_id != drawn[0].case_id
    assert repl == sampling.replacement(frame, drawn, drawn[0].case_id, 2)
    with pytest.raises(store.ReviewError, match="begrundelse"):
        store.replace_case(sid, drawn[0].case_id, repl, "  ", actor)
    store.replace_case(sid, drawn[0].case_id, repl, "Sagen er overgået til en anden kommune",
                       actor)
    cases = store.sample_cases(sid)
    assert cases.select("case_id", "status").rows() == [
        (drawn[0].case_id, "replaced"), (repl.case_id, "replacement")]
    assert cases["reason"].to_list() == ["Sagen er overgået til en anden kommune"] * 2


# --- pre-fill from the engine ----------------------------------------------------------------


def test_prefill_from_the_bfu_deadline(snap):
    kpis = load_kpis(DEFAULT_KPIS)
    conn = connect(snap)
    try:
        late = prefill(conn, kpis, "bfu_4_mdr", "R01", Q2)
        on_time = prefill(conn, kpis, "bfu_4_mdr", "R04", Q2)
        none = prefill(conn, kpis, "bfu_4_mdr", "R03", Q2)
    finally:
        conn.close()
    assert (late.answer, late.met, late.total) == (Answer.NEJ, 0, 1)
    assert late.detail == "start 05-01-2026, frist 05-05-2026, udført 01-06-2026: For sent"
    assert (on_time.answer, on_time.met, on_time.total) == (Answer.JA, 1, 1)
    assert "frist 20-05-2026, udført 20-04-2026" in on_time.detail
    assert none is None  # no BFU on the case: no pre-fill


def test_some_met_is_delvist():
    steps = pl.DataFrame({"case_id": ["X", "X", "Y"], "in_denominator": [True, True, True],
                          "in_numerator": [True, False, False],
                          "start": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 1)],
                          "due": [None, None, None], "completed": [None, None, None],
                          "status": ["met", "late", "late"]})
    got = from_steps("k", steps, "X")
    assert (got.answer, got.met, got.total) == (Answer.DELVIST, 1, 2)


# --- the store ------------------------------------------------------------------------------

NORD = store.Actor("lene", "department_head", Scope(teams=frozenset({"Nord"})))


def _sample(round_="nulpunktsmaaling", cases=(("R01", "Nord", "Anne"), ("R06", "Syd", "Carl")),
            programme="sagsmaaling"):
    drawn = tuple(sampling.Drawn(*c) for c in cases)
    new = store.NewSample(programme, round_, "12 mdr.", date(2025, 7, 1), AS_OF, 1, "snap",
                          {"n": len(drawn)}, tuple(c[0] for c in cases), drawn)
    return store.save_sample(new, store.Actor("ana", "analyst"))


def test_a_review_from_draft_to_completed_reopened_and_completed(reviews_db):
    sid = _sample()
    rid = store.open_review(sid, "R01", NORD)
    assert store.open_review(sid, "R01", NORD) == rid  # the same review the second time
    store.save_answers(rid, {"bfu_rettidig": ("nej", "Afsluttet for sent"),
                             "bfu_alle_omraader": ("ja", None)}, NORD)
    store.save_answers(rid, {"bfu_alle_omraader": ("delvist", "Skole mangler")}, NORD)
    assert store.answers(rid) == {"bfu_rettidig": ("nej", "Afsluttet for sent"),
                                  "bfu_alle_omraader": ("delvist", "Skole mangler")}
    with pytest.raises(store.ReviewError, match="bfu_foraeldrekompetence"):
        store.complete(rid, NORD, required=["bfu_rettidig", "bfu_foraeldrekompetence"])
    assert store.findings().is_empty()  # a draft is no finding
    store.complete(rid, NORD, required=["bfu_rettidig"], on=date(2026, 7, 2))
    with pytest.raises(store.ReviewError, match="genåbn"):
        store.save_answers(rid, {"bfu_rettidig": ("ja", None)}, NORD)
    f = store.findings()
    assert f.select("case_id", "question_id", "answer", "round", "team", "caseworker",
                    "review_date").rows() == [
        ("R01", "bfu_alle_omraader", "delvist", "nulpunktsmaaling", "Nord", "Anne",
         date(2026, 7, 2)),
        ("R01", "bfu_rettidig", "nej", "nulpunktsmaaling", "Nord", "Anne", date(2026, 7, 2))]
    assert "comment" not in f.columns
    with pytest.raises(store.ReviewError, match="begrundelse"):
        store.reopen(rid, NORD, "")
    store.reopen(rid, NORD, "Ny oplysning fra skolen")
    assert store.findings().is_empty()
    assert store.events(rid)["event"].to_list() == [
        "created", "opened", "saved", "saved", "completed", "reopened"]
    assert store.events(rid)["reason"].to_list()[-1] == "Ny oplysning fra skolen"


def test_every_step_is_an_audit_entry(reviews_db):
    before = audit.read(None).height
    sid = _sample()
    rid = store.open_review(sid, "R01", NORD)
    store.save_answers(rid, {"bfu_rettidig": ("nej", None)}, NORD)
    mid = store.add_mangel(rid, "bfu_rettidig", "Afslut undersøgelsen", "Anne",
                           date(2026, 8, 1), NORD)
    store.complete(rid, NORD)
    store.reopen(rid, NORD, "fejl i svar")
    store.close_mangel(mid, NORD, "rettet")
    log = audit.read(None)
    new = log.head(log.height - before)["action"].to_list()[::-1]
    assert new == ["review_sample", "review_open", "review_save", "mangel_create",
                   "review_complete", "review_reopen", "mangel_close"]
    assert set(log.head(6)["actor"]) == {"lene"}


def test_an_old_audit_log_takes_the_new_actions_and_keeps_its_entries(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    # The log as created before the review actions existed: its CHECK lists two actions.
    conn.execute("""CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
  role TEXT NOT NULL, scope TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('export', 'login')),
  page TEXT, kpi TEXT, period TEXT, detail TEXT)""")
    conn.execute("INSERT INTO audit_log (at, actor, role, scope, action) "
                 "VALUES ('2026-01-01T10:00:00+01:00', 'anne', 'analyst', '*', 'export')")
    conn.commit()
    conn.close()
    audit.record("lene", "department_head", "*", audit.AuditAction.REVIEW_OPEN, path=path)
    df = audit.read(None, path=path)
    assert df.sort("id").select("id", "actor", "action").rows() == [
        (1, "anne", "export"), (2, "lene", "review_open")]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        c = sqlite3.connect(path)
        c.execute("DELETE FROM audit_log")


def test_a_comment_with_a_cpr_number_is_refused(reviews_db):
    sid = _sample()
    rid = store.open_review(sid, "R01", NORD)
    with pytest.raises(store.CprInText, match="CPR-nummer"):
        store.save_answers(rid, {"bfu_rettidig": ("nej", "Barnet 010203-1234 er ikke set")},
                           NORD)
    assert store.answers(rid) == {}
    assert "010203" not in reviews_db.read_bytes().decode("latin-1")


def test_a_team_head_reviews_only_their_own_teams(reviews_db):
    sid = _sample()
    with pytest.raises(store.NotInScope):
        store.open_review(sid, "R06", NORD)  # R06 is Syd's
    assert store.sample_cases(sid, NORD.scope)["case_id"].to_list() == ["R01"]
    committee = store.Actor("udvalg", "committee", Scope(suppress_below=5, case_level=False))
    with pytest.raises(Exception, match="sagsniveau"):
        store.open_review(sid, "R01", committee)


def test_a_mangel_follows_a_nej_and_is_followed_until_closed(reviews_db):
    sid = _sample()
    rid = store.open_review(sid, "R01", NORD)
    store.save_answers(rid, {"bfu_rettidig": ("ja", None), "bfu_alle_omraader": ("nej", None)},
                       NORD)
    with pytest.raises(store.ReviewError, match="nej eller delvist"):
        store.add_mangel(rid, "bfu_rettidig", "x", "Anne", date(2026, 8, 1), NORD)
    mid = store.add_mangel(rid, "bfu_alle_omraader", "Beskriv skoleforhold", "Anne",
                           date(2026, 8, 1), NORD)
    open_ = store.mangler(NORD.scope)
    assert open_.select("case_id", "what", "caseworker", "due_on").rows() == [
        ("R01", "Beskriv skoleforhold", "Anne", "2026-08-01")]
    assert store.mangler(Scope(teams=frozenset({"Syd"}))).is_empty()
    store.close_mangel(mid, NORD, "Rettet 3/8")
    assert store.mangler(NORD.scope).is_empty()
    assert store.mangel_history(mid)["status"].to_list() == ["open", "closed"]


def test_the_file_is_private_and_in_wal_mode(reviews_db):
    _sample()
    assert reviews_db.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(reviews_db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_the_store_lives_beside_the_audit_log(monkeypatch, tmp_path):
    monkeypatch.delenv(store.REVIEWS_ENV, raising=False)
    monkeypatch.setenv(audit.AUDIT_ENV, str(tmp_path / "logs" / "audit.sqlite"))
    assert store.reviews_path() == tmp_path / "logs" / "reviews.sqlite"


_SAVER = """
import sys, time
from pathlib import Path
from kpis.review import store
from kpis.compute.engine import Scope
rid, who, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
actor = store.Actor(who, "analyst", Scope())
while not go.exists():
    time.sleep(0.01)
for i in range(n):
    store.save_answers(rid, {f"{who}_{i}": ("ja" if i % 2 else "nej", f"{who} {i}")}, actor)
"""


def test_two_processes_saving_at_once_lose_nothing(reviews_db, tmp_path):
    sid = _sample()
    analyst = store.Actor("ana", "analyst")
    rids = {who: store.open_review(sid, case, analyst)
            for who, case in (("a", "R01"), ("b", "R06"))}
    go = tmp_path / "go"
    n = 40
    env_root = str(Path(__file__).resolve().parents[1])
    procs = [subprocess.Popen([sys.executable, "-c", _SAVER, rids[who], who, str(n), str(go)],
                              cwd=env_root) for who in ("a", "b")]
    go.touch()
    for p in procs:
        assert p.wait(timeout=180) == 0
    for who in ("a", "b"):
        got = store.answers(rids[who])
        assert got == {f"{who}_{i}": ("ja" if i % 2 else "nej", f"{who} {i}") for i in range(n)}


def test_an_import_during_a_review_leaves_it_intact(tmp_path, reviews_db):
    db = tmp_path / "snap.duckdb"
    _import(tmp_path / "e1", db, EXPORT)
    sid = _sample()
    rid = store.open_review(sid, "R01", NORD)
    store.save_answers(rid, {"bfu_rettidig": ("nej", "for sent")}, NORD)
    # The next export no longer holds R01 at all: the snapshot file is replaced.
    later = {**EXPORT, "cases.csv": EXPORT["cases.csv"].replace("R01,Nord,Anne,2025-01-10,\n", ""),
             "investigations.csv": "investigation_id,case_id,aware_on,completed_on\n"
                                   "I2,R04,2026-01-20,2026-04-20\n"}
    _import(tmp_path / "e2", db, later)
    conn = connect(db)
    try:
        assert conn.sql("SELECT count(*) FROM cases WHERE case_id = 'R01'").fetchall() == [(0,)]
    finally:
        conn.close()
    store.save_answers(rid, {"bfu_alle_omraader": ("ja", None)}, NORD)
    store.complete(rid, NORD, on=date(2026, 7, 3))
    assert store.answers(rid) == {"bfu_rettidig": ("nej", "for sent"),
                                  "bfu_alle_omraader": ("ja", None)}
    assert store.findings()["case_id"].unique().to_list() == ["R01"]


# --- findings as figures ---------------------------------------------------------------------


def test_wilson_by_hand():
    low, high = figures.wilson(18, 30)
    # p = 0.6, z² = 3.8415: centre (0.6 + 0.0640) / 1.1280 = 0.5887, half 0.1654
    assert (round(low, 3), round(high, 3)) == (0.423, 0.754)
    assert figures.wilson(0, 10)[0] == 0.0 and round(figures.wilson(0, 10)[1], 3) == 0.278
    assert figures.wilson(5, 5)[1] == 1.0


def _findings(rows):
    return pl.DataFrame(rows, schema=["programme_id", "round", "case_id", "question_id",
                                      "answer"], orient="row")


def test_shares_leave_ikke_relevant_out(config):
    sm = config["sagsmaaling"]
    rows = ([("sagsmaaling", "nulpunktsmaaling", f"c{i}", "bfu_foraeldrekompetence", "ja")
             for i in range(6)]
            + [("sagsmaaling", "nulpunktsmaaling", "c6", "bfu_foraeldrekompetence", "delvist"),
               ("sagsmaaling", "nulpunktsmaaling", "c7", "bfu_foraeldrekompetence", "nej"),
               ("sagsmaaling", "nulpunktsmaaling", "c8", "bfu_foraeldrekompetence",
                "ikke_relevant"),
               ("sagsmaaling", "nulpunktsmaaling", "c0", "bfu_rettidig", "nej"),
               ("andet", "nulpunktsmaaling", "c0", "bfu_rettidig", "ja")])
    per_q = figures.shares(_findings(rows), sm)
    fk = per_q.filter(pl.col("question_id") == "bfu_foraeldrekompetence").row(0, named=True)
    assert (fk["ja"], fk["delvist"], fk["nej"], fk["ikke_relevant"], fk["n"]) == (6, 1, 1, 1, 8)
    assert fk["share"] == 0.75
    rt = per_q.filter(pl.col("question_id") == "bfu_rettidig").row(0, named=True)
    assert (rt["n"], rt["share"]) == (1, 0.0)  # the other programme's 'ja' is not counted
    per_mark = figures.shares(_findings(rows), sm, ("pejlemaerke",)).row(0, named=True)
    assert (per_mark["pejlemaerke"], per_mark["ja"], per_mark["n"]) == ("faglig_udredning", 6, 9)


def test_rounds_side_by_side(config):
    sm = config["sagsmaaling"]
    q = "plan_maal_konkrete"
    rows = ([("sagsmaaling", "nulpunktsmaaling", f"a{i}", q, "ja" if i < 9 else "nej")
             for i in range(30)]
            + [("sagsmaaling", "statusmaaling_1", f"b{i}", q, "ja" if i < 24 else "nej")
               for i in range(30)]
            + [("sagsmaaling", "nulpunktsmaaling", f"a{i}", "bfu_rettidig",
                "ja" if i < 18 else "nej") for i in range(30)]
            + [("sagsmaaling", "statusmaaling_1", f"b{i}", "bfu_rettidig",
                "ja" if i < 20 else "nej") for i in range(30)])
    cmp = figures.compare_rounds(_findings(rows), sm, "nulpunktsmaaling", "statusmaaling_1")
    plan = cmp.filter(pl.col("question_id") == q).row(0, named=True)
    # 9/30 = 30 % (16.7–47.9 %) against 24/30 = 80 % (62.7–90.5 %): apart.
    assert (plan["share_before"], plan["share_after"]) == (0.3, 0.8)
    assert round(plan["change"], 3) == 0.5 and plan["overlap"] is False
    bfu = cmp.filter(pl.col("question_id") == "bfu_rettidig").row(0, named=True)
    # 18/30 = 60 % (42.3–75.4 %) against 20/30 = 66.7 % (48.8–80.8 %): overlapping.
    assert round(bfu["change"], 4) == 0.0667 and bfu["overlap"] is True
    marks = figures.compare_rounds(_findings(rows), sm, "nulpunktsmaaling", "statusmaaling_1",
                                   level="pejlemaerke")
    assert marks["pejlemaerke"].to_list() == ["faglig_udredning", "valg_af_indsats"]


# --- the findings as a source of the definition language --------------------------------------

REVIEW_KPI = """version: 1
kpis:
  - id: sagsmaaling_foraeldrekompetence
    name: Undersøgelser, der belyser forældrekompetencer (sagsmåling)
    description: Andel af de gennemgåede undersøgelser, hvor forældrenes kompetencer er belyst.
    pejlemaerke: faglig_udredning
    legal_basis: {barnets_lov: "Barnets Lov § 22, stk. 5", sel: "Serviceloven § 50"}
    kind: share
    rule_da: Gennemgåede sager, hvor spørgsmålet om forældrekompetencer er besvaret med ja.
    share:
      source: review_findings
      event_date: review_date
      filter: question_id = 'bfu_foraeldrekompetence' AND counted
      condition: answer = 'ja'
    unit: percent
    direction: higher_is_better
    owner: Myndighedsafdelingen
"""


def _review_kpis():
    from kpis.rules.validate import validate_text as validate_kpis

    kpiset, problems = validate_kpis(REVIEW_KPI, "k.yaml")
    assert problems == []
    return kpiset


def _complete(sid, case, answer, on):
    rid = store.open_review(sid, case, store.Actor("ana", "analyst"))
    store.save_answers(rid, {"bfu_foraeldrekompetence": (answer, None)},
                       store.Actor("ana", "analyst"))
    store.complete(rid, store.Actor("ana", "analyst"), on=on)


def test_a_review_kpi_validates_and_counts_ja_of_ja_delvist_nej(snap, reviews_db):
    from kpis.compute.engine import compute

    kpis = _review_kpis()
    cases = tuple((f"R0{i}", "Nord" if i < 6 else "Syd", "x") for i in range(1, 9))
    sid = _sample(cases=cases)
    for case, answer in zip(("R01", "R02", "R03", "R04", "R05", "R06"),
                            ("ja", "ja", "delvist", "nej", "ikke_relevant", "ja"), strict=True):
        _complete(sid, case, answer, date(2026, 5, 15))
    _complete(sid, "R07", "ja", date(2026, 7, 1))  # in the third quarter
    conn = connect(snap)
    try:
        df = compute(conn, kpis, ["2026-Q2"], by=["team"])
        # A review counts from the day it is completed, also after the export's date.
        q3 = compute(conn, kpis, ["2026-Q3"]).row(0, named=True)
    finally:
        conn.close()
    assert (q3["numerator"], q3["denominator"]) == (1, 1)
    total = df.filter(pl.col("group_level") == "").row(0, named=True)
    # ja R01 R02 R06; delvist R03; nej R04; R05 ikke relevant is left out: 3 of 5.
    assert (total["numerator"], total["denominator"], total["value"]) == (3, 5, 0.6)
    nord = df.filter(pl.col("team") == "Nord").row(0, named=True)
    assert (nord["numerator"], nord["denominator"]) == (2, 4)


def test_the_cached_figure_moves_when_a_review_is_completed(snap, reviews_db):
    from kpis.compute.engine import compute
    from kpis.compute.unit_cache import SnapshotCache

    kpis = _review_kpis()
    sid = _sample(cases=(("R01", "Nord", "Anne"), ("R03", "Nord", "Anne")))
    _complete(sid, "R01", "nej", date(2026, 5, 15))
    cache = SnapshotCache(snap)
    try:
        first = compute(cache, kpis, ["2026-Q2"]).row(0, named=True)
        assert (first["numerator"], first["denominator"]) == (0, 1)
        _complete(sid, "R03", "ja", date(2026, 5, 20))
        second = compute(cache, kpis, ["2026-Q2"]).row(0, named=True)
        assert (second["numerator"], second["denominator"]) == (1, 2)
    finally:
        cache.close()


def test_the_app_cache_key_follows_the_reviews(snap, reviews_db):
    from kpis.compute.external import external_version

    with_review_kpi = _review_kpis()
    without = load_kpis(DEFAULT_KPIS)
    sid = _sample(cases=(("R01", "Nord", "Anne"),))
    before = external_version(with_review_kpi)
    _complete(sid, "R01", "ja", date(2026, 5, 15))
    assert external_version(with_review_kpi) != before
    assert external_version([k for k in without if k.spec.source != "review_findings"]) == ""


def test_the_revision_moves_with_every_change_of_the_findings_and_only_then(snap, reviews_db):
    from kpis.review.findings_source import revision

    assert revision() == "none"  # no file yet: nothing is created by asking
    assert not reviews_db.exists()
    sid = _sample(cases=(("R01", "Nord", "Anne"), ("R03", "Nord", "Anne")))
    analyst = store.Actor("ana", "analyst")
    rid = store.open_review(sid, "R01", analyst)
    store.save_answers(rid, {"bfu_foraeldrekompetence": ("nej", None)}, analyst)
    drafted = revision()
    # Completed in the same second as the draft was saved: the revision moves all the same (it
    # was count:max(saved_at) before, whole seconds, and a process kept the figure before).
    store.complete(rid, analyst, on=date(2026, 5, 15))
    completed = revision()
    assert completed != drafted
    # A draft of another review, a mangel: the findings are the same, and so is the revision
    # (the pages' cached figures are not thrown away for nothing).
    other = store.open_review(sid, "R03", analyst)
    store.save_answers(other, {"bfu_foraeldrekompetence": ("ja", None)}, analyst)
    store.add_mangel(rid, "bfu_foraeldrekompetence", "Beskriv forældrenes kompetencer", "Anne",
                     date(2026, 6, 15), analyst)
    assert revision() == completed
    store.reopen(rid, analyst, "Svaret var forkert")
    reopened = revision()
    assert reopened not in (drafted, completed)
    store.save_answers(rid, {"bfu_foraeldrekompetence": ("ja", None)}, analyst)
    store.complete(rid, analyst, on=date(2026, 5, 16))
    assert revision() not in (drafted, completed, reopened)


_COMPLETER = """
import sys, time
from datetime import date
from pathlib import Path
from kpis.review import store
from kpis.compute.engine import Scope
who, go, rids = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
actor = store.Actor(who, "analyst", Scope())
while not go.exists():
    time.sleep(0.01)
for rid in rids:
    store.save_answers(rid, {"bfu_foraeldrekompetence": ("ja", None)}, actor)
    store.complete(rid, actor, on=date(2026, 5, 15))
"""


def test_two_processes_completing_at_once_move_the_revision_once_each(reviews_db, tmp_path):
    """Every completion is a finding the figures must show: each moves the revision once, in
    its own transaction, however the two processes interleave (no two see the same number)."""
    from kpis.review.findings_source import revision

    n = 12
    cases = tuple((f"C{i:02d}", "Nord", "Anne") for i in range(2 * n))
    sid = _sample(cases=cases)
    analyst = store.Actor("ana", "analyst")
    rids = [store.open_review(sid, c[0], analyst) for c in cases]
    before = store.findings_revision()
    go = tmp_path / "go"
    root = str(Path(__file__).resolve().parents[1])
    procs = [subprocess.Popen([sys.executable, "-c", _COMPLETER, who, str(go), *part], cwd=root)
             for who, part in (("a", rids[:n]), ("b", rids[n:]))]
    go.touch()
    for p in procs:
        assert p.wait(timeout=180) == 0
    assert store.findings_revision() == before + 2 * n
    assert revision().endswith(f":{before + 2 * n}")
    assert sorted(store.findings()["case_id"]) == [c[0] for c in cases]


def test_the_demo_ships_a_completed_nulpunktsmaaling_and_a_half_done_statusmaaling(
        demo_db, tmp_path):
    from kpis.review.demo import seed_demo_reviews

    path = tmp_path / "reviews.sqlite"
    done = seed_demo_reviews(demo_db, path=path)
    cases = store.drawn_cases(path=path)
    nul = cases.filter(pl.col("round") == "nulpunktsmaaling")
    status = cases.filter(pl.col("round") == "statusmaaling_1")
    assert nul.height == status.height == 30  # n: 30 in config/reviews.yaml
    assert set(nul["status"]) == {"completed"}
    assert status["status"].to_list().count("completed") == 15  # half
    assert status["status"].to_list().count("draft") == 1  # one started, not finished
    assert done == 45
    assert seed_demo_reviews(demo_db, path=path) == 0  # never twice, never over real reviews
    assert not store.mangler(path=path).is_empty()
    assert audit.read(None).filter(pl.col("actor") == "demo").is_empty()  # no person did them


def test_reading_does_not_wait_for_a_writer(reviews_db):
    sid = _sample()
    writer = sqlite3.connect(reviews_db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of saving
        writer.execute("UPDATE samples SET drawn_by = 'x'")
        # Readers see the last committed state at once (WAL); they never take the write lock.
        assert store.sample_cases(sid)["case_id"].to_list() == ["R01", "R06"]
        assert store.findings().is_empty() and store.mangler().is_empty()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_shares_read_with_their_interval_and_rounds_in_danish(config):
    from kpis.review.present import comparison_table_da, share_text_da

    low, high = figures.wilson(18, 30)
    assert share_text_da(0.6, low, high, 30) == "60 % (95 %-interval 42–75 %, n = 30 sager)"
    assert share_text_da(None, None, None, 0) == "–"
    sm = config["sagsmaaling"]
    q = "plan_maal_konkrete"
    rows = ([("sagsmaaling", "nulpunktsmaaling", f"a{i}", q, "ja" if i < 9 else "nej")
             for i in range(30)]
            + [("sagsmaaling", "statusmaaling_1", f"b{i}", q, "ja" if i < 24 else "nej")
               for i in range(30)])
    cmp = figures.compare_rounds(_findings(rows), sm, "nulpunktsmaaling", "statusmaaling_1")
    table = comparison_table_da(cmp, {q: "Mål konkrete"})
    # 9/30: 30 % (16.7–47.9 %); 24/30: 80 % (62.7–90.5 %); +50 points, intervals apart.
    assert table.row(0) == ("Mål konkrete",
                            "30 % (95 %-interval 17–48 %, n = 30 sager)",
                            "80 % (95 %-interval 63–90 %, n = 30 sager)", "+50 procentpoint",
                            "Ja")
