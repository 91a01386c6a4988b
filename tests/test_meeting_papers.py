"""Meeting papers: the PDF's text and the workbook's cells carry exactly the tiles' figures."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from pypdf import PdfReader

from kpis.compute.periods import parse_period
from kpis.present.meeting_papers import MeetingPapers, build_pdf, build_xlsx
from kpis.present.period_choice import Comparison, trend_periods
from tests.test_tiles import KPIS, frame, row

Q3 = parse_period("2026-Q3")
AS_OF = date(2026, 11, 20)


def results():
    rows = []
    for i, p in enumerate(trend_periods(Q3)):
        rows.append(row("bfu_rate", p.label, 30 + i, 40, (30 + i) / 40, status="red"))
        rows.append(row("notes", p.label, 300 + i, None, 300.0 + i))
        # the KPI "late_share" is withheld in the chosen period (n = 3) and shown otherwise
        if p.label == "2026-Q3":
            rows.append(row("late_share", p.label, 1, 3, 1 / 3, suppressed=True))
        else:
            rows.append(row("late_share", p.label, 2, 20, 0.1, status="green"))
    rows[-3] = row("bfu_rate", "2026-Q3", 35, 40, 0.875, status="yellow")
    rows.append(row("bfu_rate", "2026-Q4", 5, 6, 0.83, pending=17, overdue=2))
    return frame(*rows)


@pytest.fixture(scope="module")
def papers() -> MeetingPapers:
    return MeetingPapers(KPIS, results(), Q3, Comparison.PREVIOUS, AS_OF,
                         imported_at=datetime(2026, 11, 21, 7, 5))  # UTC: 08.05 in Denmark


@pytest.fixture(scope="module")
def pdf_text(papers) -> str:
    reader = PdfReader(io.BytesIO(build_pdf(papers)))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def workbook(papers):
    return openpyxl.load_workbook(io.BytesIO(build_xlsx(papers)))


def test_pdf_carries_title_period_and_as_of_date(pdf_text):
    assert "Bilag til udvalgsmøde" in pdf_text
    assert "Børne- og Familieudvalget – nøgletal for 3. kvartal 2026" in pdf_text
    assert "Data opgjort pr. 20. november 2026, indlæst 21. november 2026 kl. 08.05" in pdf_text
    assert "Sammenlignet med: 2. kvartal 2026 (forrige periode)" in pdf_text


def test_pdf_shows_the_tiles_values(papers, pdf_text):
    text = " ".join(pdf_text.split())
    for tile in papers.tiles():
        assert tile.name in text
        assert tile.value_text in text
        assert tile.status_text.split(" (")[0] in text
    assert "87,5 %" in text and "Mål: 90,0 %" in text
    # 2. kvartal: 36 of 40 = 90,0 %; 87,5 − 90,0 = −2,5 points
    assert "Ændring: −2,5 procentpoint ↓ dårligere (mod 2. kvartal 2026: 90,0 %)" in text
    assert ("n = 40 (afsluttet til tiden eller fristen udløb i perioden) · 35 af 40 til tiden"
            in text)
    assert "Åbne efter fristen: 2" in text and "Afventer, frist ikke nået: 17" in text


def test_pdf_withholds_what_the_screen_withholds(pdf_text):
    text = " ".join(pdf_text.split())
    assert "skjult" in text
    assert "33,3 %" not in text and "1 af 3" not in text


def test_pdf_has_definitions_and_counting_rules(pdf_text):
    text = " ".join(pdf_text.split())
    assert "Hvad måles: Andel af undersøgelserne, der blev afsluttet til tiden." in text
    assert "Barnets Lov (fra 1. januar 2024): Barnets Lov § 20, stk. 3" in text
    assert "Sådan tælles det" in text and "Frist efter Serviceloven (før 2024): 4 måneder" in text


def test_workbook_has_a_sheet_per_pejlemaerke_and_definitions(workbook):
    assert workbook.sheetnames == ["Faglig udredning", "Opfølgning", "Kontekst", "Definitioner"]
    ws = workbook["Faglig udredning"]
    assert ws["A1"].value == "Faglig udredning – 3. kvartal 2026"
    assert "Data opgjort pr. 20. november 2026" in ws["A4"].value


def _rows(ws) -> dict[str, dict[str, object]]:
    header = [c.value for c in ws[7]]
    out = {}
    for r in ws.iter_rows(min_row=8, values_only=True):
        if not r[0]:
            break  # the table ends at the first empty row (a note follows)
        out[r[0]] = dict(zip(header, r))
    return out


def test_workbook_values_are_the_tiles_rounded_the_same_way(papers, workbook):
    tiles = {t.name: t for t in papers.tiles()}
    fu = _rows(workbook["Faglig udredning"])["Undersøgelser til tiden"]
    assert fu["Værdi"] == pytest.approx(0.875) and fu["Mål"] == pytest.approx(0.9)
    assert fu["n"] == 40 and fu["Status"] == "▲ Gul – tæt på målet"
    assert fu["Ændring"] == "−2,5 procentpoint ↓ dårligere"
    assert fu["Værdi i sammenligningsperioden"] == pytest.approx(0.9)
    assert fu["Over fristen, stadig åbne"] == 2 and fu["Afventer"] == 17
    assert fu["3. kvartal 2026"] == pytest.approx(0.875)
    assert workbook["Faglig udredning"]["B8"].number_format == "0.0%"
    for name, values in _rows(workbook["Kontekst"]).items():
        assert values["Værdi"] == tiles[name].value


def test_workbook_withholds_what_the_screen_withholds(workbook):
    withheld = _rows(workbook["Opfølgning"])["Andel for sent"]
    assert withheld["Værdi"] == "skjult" and withheld["n"] == "skjult"
    assert withheld["3. kvartal 2026"] == "skjult"
    assert withheld["2. kvartal 2026"] == pytest.approx(0.1)
    cells = [c for r in workbook["Opfølgning"].iter_rows(values_only=True) for c in r]
    assert not any(isinstance(c, float) and abs(c - 1 / 3) < 1e-3 for c in cells)


def test_definitions_sheet_has_every_kpi_and_its_counting_rule(workbook):
    ws = workbook["Definitioner"]
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    assert [r[0] for r in rows] == ["bfu_rate", "late_share", "notes"]
    bfu = rows[0]
    assert bfu[2] == "Faglig udredning" and "Serviceloven § 50" in bfu[4]
    assert "Frist efter Barnets Lov (fra 1. januar 2024): 4 måneder" in bfu[5]
    assert rows[2][2] == "Kontekst"


def test_pdf_says_when_it_was_made():
    papers = MeetingPapers(KPIS, results(), Q3, Comparison.PREVIOUS, AS_OF,
                           made_at=datetime(2026, 11, 24, 8, 30, tzinfo=UTC))  # 09.30 Danish
    text = PdfReader(io.BytesIO(build_pdf(papers))).pages[0].extract_text()
    assert "Dannet 24. november 2026 kl. 09.30" in text


def test_papers_of_some_teams_say_so():
    papers = MeetingPapers(KPIS, results(), Q3, Comparison.PREVIOUS, AS_OF,
                           teams=("Team Syd", "Team Nord"))
    assert papers.header_lines()[-1] == "Omfatter kun: Team Nord og Team Syd"
    assert "Omfatter kun" not in " ".join(MeetingPapers(KPIS, results(), Q3, Comparison.PREVIOUS,
                                                        AS_OF).header_lines())


CODE = ("coalesce", "parental_competence_assessed", "completed_on", "aware_on", "received_at", "`")


def test_papers_state_the_rules_in_plain_danish_without_query_text(pdf_text, workbook):
    rule = "Afsluttede undersøgelser, hvor forældrenes kompetencer er vurderet."
    text = " ".join(pdf_text.split())
    assert rule in text and "»afsluttet« ligger senest på fristen" in text
    sheet = " ".join(str(c) for r in workbook["Definitioner"].iter_rows(values_only=True)
                     for c in r if c is not None)
    assert rule in sheet
    assert [w for w in CODE if w in text or w in sheet] == []


# --- a figure from a sample: its interval and its cases on paper -------------------------------


@pytest.fixture(scope="module")
def review_papers() -> MeetingPapers:
    from tests.test_tiles import REVIEW_KPIS

    rows = [row("reviewed", "2026-Q3", 11, 13, 11 / 13, status="yellow"),  # 57,8–95,7 %
            row("reviewed", "2026-Q2", 1, 3, 1 / 3, suppressed=True)]
    return MeetingPapers(REVIEW_KPIS, frame(*rows), Q3, Comparison.PREVIOUS, AS_OF)


def test_pdf_gives_an_estimate_its_interval_and_cases(review_papers):
    reader = PdfReader(io.BytesIO(build_pdf(review_papers)))
    text = " ".join("\n".join(p.extract_text() for p in reader.pages).split())
    assert "84,6 % (95 %-interval 58–96 %)" in text
    assert "n = 13 sager (gennemgået i perioden) · 11 af 13 opfylder kravet" in text
    assert "stikprøve" in text  # the reading guide says what the interval is
    assert "33,3" not in text and "1 af 3" not in text  # the withheld quarter stays withheld


def test_workbook_gives_an_estimate_its_interval(review_papers):
    from kpis.present.meeting_papers import INTERVAL_COLUMN

    wb = openpyxl.load_workbook(io.BytesIO(build_xlsx(review_papers)))
    values = _rows(wb["Faglig udredning"])["Forældrekompetencer belyst (sagsmåling)"]
    assert values["Værdi"] == pytest.approx(0.846) and values["n"] == 13
    assert values[INTERVAL_COLUMN] == "95 %-interval 58–96 %"
    assert values["2. kvartal 2026"] == "skjult" and values["3. kvartal 2026"] == pytest.approx(
        0.846)
