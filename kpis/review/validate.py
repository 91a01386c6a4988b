"""Validation of config/reviews.yaml: every problem at once, each with file, line and field.

Like KPI definitions (kpis/rules/validate.py): YAML and structure through pydantic, one programme
at a time so one broken programme does not hide another's problems; then meaning: expressions
against the review case frame's columns, pre-fill KPIs against the KPI definitions, unique ids.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from pydantic import ValidationError

from kpis.review.frame import check_expression
from kpis.review.model import Programme, Purpose, ReviewConfig, reviews_config_path
from kpis.rules import expressions as ex
from kpis.rules import yaml_loader
from kpis.rules.validate import (
    Collector,
    Problem,
    check_top_keys,
    parse_yaml,
    pydantic_problems,
)

# A pre-fill reads the case's units of these kinds of KPI (met or not).
PREFILL_KINDS = ("deadline", "share")


class ReviewConfigError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _ReviewCollector(Collector):
    def add(self, path: tuple, kpi, message: str, hint: str = "") -> None:
        line = yaml_loader.line_of(self.doc, path) if self.doc is not None else None
        field = ".".join(str(s) if not isinstance(s, int) else f"[{s}]" for s in path[2:])
        self.problems.append(Problem(self.file, line, kpi, field.replace(".[", "["), message,
                                     hint))


def prefill_kpis(kpis_file: Path | None) -> dict[str, str] | None:
    """KPI id → kind from the KPI definitions file (None when it cannot be read: the pre-fill
    check is then skipped, and ``python -m kpis validate`` reports that file's own problems)."""
    from kpis import DEFAULT_KPIS

    path = Path(kpis_file or DEFAULT_KPIS)
    try:
        doc = yaml_loader.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return {k["id"]: str(k.get("kind")) for k in (doc or {}).get("kpis", [])
            if isinstance(k, dict) and isinstance(k.get("id"), str)}


def _check_programme(col: _ReviewCollector, prog: Programme, base: tuple) -> None:
    """Rules between fields of a programme that passed its structural checks."""
    if prog.purpose is Purpose.SAGSMAALING and not prog.rounds:
        col.add(base + ("rounds",), prog.id, "en sagsmåling skal have sine runder",
                "fx rounds: [nulpunktsmaaling, statusmaaling_1]")
    if prog.purpose is Purpose.LEDELSESTILSYN and prog.sampling.method != "per_caseworker":
        col.add(base + ("sampling", "method"), prog.id,
                "et ledelsestilsyn udtrækker sager pr. sagsbehandler", "brug per_caseworker")


def _check_meaning(col: _ReviewCollector, raw: dict, base: tuple, prog_id: str | None,
                   kpis: dict[str, str] | None) -> None:
    """Expressions, pre-fill KPIs and question ids, read from the raw document so that they are
    checked also when another field of the programme is broken."""
    sampling = raw.get("sampling")
    if isinstance(sampling, dict) and isinstance(sampling.get("criteria"), str):
        for msg in check_expression(sampling["criteria"]):
            col.add(base + ("sampling", "criteria"), prog_id, msg)
    questions = raw.get("questions")
    if not isinstance(questions, list):
        return
    seen: dict[str, int] = {}
    for i, question in enumerate(questions):
        if not isinstance(question, dict):
            continue
        qp = base + ("questions", i)
        qid = question.get("id")
        if isinstance(qid, str):
            if qid in seen:
                col.add(qp + ("id",), prog_id, f"spørgsmålet {qid!r} findes allerede",
                        f"første gang som spørgsmål nr. {seen[qid] + 1}")
            seen.setdefault(qid, i)
        if isinstance(question.get("applies_when"), str):
            for msg in check_expression(question["applies_when"]):
                col.add(qp + ("applies_when",), prog_id, msg)
        prefill = question.get("prefill")
        kpi = prefill.get("kpi") if isinstance(prefill, dict) else None
        if isinstance(kpi, str) and kpis is not None:
            if kpi not in kpis:
                near = ex.nearest(kpi, kpis)
                col.add(qp + ("prefill", "kpi"), prog_id, f"ukendt nøgletal {kpi!r}",
                        f"mente du {near!r}?" if near else "se config/kpis.yaml")
            elif kpis[kpi] not in PREFILL_KINDS:
                col.add(qp + ("prefill", "kpi"), prog_id,
                        f"nøgletallet {kpi!r} er af typen {kpis[kpi]!r}; udfyldning kræver en "
                        "frist eller en andel", "brug et nøgletal af typen deadline eller share")


def validate_text(text: str, file: str = "reviews.yaml", *, kpis_file: Path | None = None
                  ) -> tuple[ReviewConfig | None, list[Problem]]:
    """(ReviewConfig or None, problems). The config is returned only when there are none."""
    doc, problems = parse_yaml(text, file)
    if problems:
        return None, problems
    col = _ReviewCollector(file, doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("programmes"), list):
        col.add((), None, "filen skal have en liste 'programmes:'")
        return None, col.problems
    check_top_keys(col, doc, ("version", "programmes"))
    kpis = prefill_kpis(kpis_file)
    valid: list[Programme] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(doc["programmes"]):
        base = ("programmes", i)
        if not isinstance(raw, dict):
            col.add(base, None, "hvert program skal være en samling af felter")
            continue
        prog_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        if prog_id is not None:
            if prog_id in seen:
                col.add(base + ("id",), prog_id, f"programmet {prog_id!r} findes allerede")
            seen.setdefault(prog_id, i)
        before = len(col.problems)
        _check_meaning(col, raw, base, prog_id, kpis)
        try:
            prog = Programme.model_validate(raw)
        except ValidationError as err:
            pydantic_problems(col, err, base, prog_id, Programme)
            continue
        _check_programme(col, prog, base)
        if len(col.problems) == before:
            valid.append(prog)
    if col.problems:
        return None, col.problems
    return ReviewConfig(programmes=tuple(valid)), []


def kpis_the_programmes_need(kpiset, text: str) -> list[Problem]:
    """An extra check of the KPI definitions' editor (pages/_workspace.py): a KPI that a question
    of the review programmes the app reads is pre-filled from is not removed or renamed while the
    question names it — the programmes would stop validating and Sagsgennemgang stop working."""
    try:
        doc = yaml_loader.load(reviews_config_path().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    programmes = doc.get("programmes") if isinstance(doc, dict) else None
    needed = [(p.get("id"), q.get("id"), q["prefill"]["kpi"])
              for p in (programmes if isinstance(programmes, list) else [])
              if isinstance(p, dict) and isinstance(p.get("questions"), list)
              for q in p["questions"]
              if isinstance(q, dict) and isinstance(q.get("prefill"), dict)
              and isinstance(q["prefill"].get("kpi"), str)]
    return [Problem(kpiset.path or "kpis.yaml", None, kpi_id, "id",
                    f"spørgsmålet {question!r} i programmet {programme!r} udfyldes fra "
                    "nøgletallet", "ret spørgsmålet under Gennemgangsprogrammer først")
            for programme, question, kpi_id in needed if kpi_id not in kpiset.ids]


def load_and_validate(path: Path, *, kpis_file: Path | None = None) -> ReviewConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewConfigError([Problem(str(path), None, None, "", f"kan ikke læses: {exc}")])
    config, problems = validate_text(text, str(path), kpis_file=kpis_file)
    if problems:
        raise ReviewConfigError(problems)
    return config


def cli_validate(path: Path) -> int:
    path = Path(path)
    if not path.is_file():
        print(f"{path}: filen findes ikke", file=sys.stderr)
        return 2
    try:
        config = load_and_validate(path)
    except ReviewConfigError as exc:
        print(f"{len(exc.problems)} problem(er) i {path}:")
        for p in exc.problems:
            print(f"  - {p}")
        return 1
    n = sum(len(p.questions) for p in config.programmes)
    print(f"{path}: {len(config.programmes)} programmer, {n} spørgsmål, ingen problemer.")
    return 0
