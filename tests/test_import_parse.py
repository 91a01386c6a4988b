"""Value parsers, CPR rules and pseudonyms, table-driven."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kpis.data.cpr import CPR_HIDDEN, contains_cpr, cpr_birth_date, masked
from kpis.data.parse import (
    BadValue,
    enum_parser,
    parse_bool,
    parse_date,
    parse_int,
    parse_text,
    parse_timestamp,
)
from kpis.data.pseudonym import DEMO_KEY, MIN_KEY_BYTES, PSEUDONYM_PREFIX, pseudonym
from kpis.data.quarantine import Reason, display_value
from kpis.data.readers import decode, sniff_separator

D = date(2024, 3, 5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("05-03-2024", D), ("05.03.2024", D), ("05/03/2024", D), ("2024-03-05", D), ("5-3-2024", D),
     (" 05-03-2024 ", D), ("2024-03-05 00:00:00", D), ("05-03-2024 00:00", D), (D, D),
     (datetime(2024, 3, 5), D), ("", None), ("  ", None), (None, None), (float("nan"), None),
     ("29-02-2024", date(2024, 2, 29))],
)
def test_dates(raw: object, expected: date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["29-02-2023", "31-04-2024", "05-03-24", "05-03/2024", "2024-03-05 10:00", "i går", "45352",
     "2024-03-05T00:00Z", datetime(2024, 3, 5, 10, 0), 45352],
)
def test_invalid_dates(raw: object) -> None:
    with pytest.raises(BadValue) as caught:
        parse_date(raw)
    assert caught.value.reason is Reason.INVALID_DATE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("05-03-2024 14:30", (datetime(2024, 3, 5, 14, 30), True)),
     ("05-03-2024 14:30:15", (datetime(2024, 3, 5, 14, 30, 15), True)),
     ("2024-03-05T14:30", (datetime(2024, 3, 5, 14, 30), True)),
     ("2024-03-05T14:30:15.250", (datetime(2024, 3, 5, 14, 30, 15, 250000), True)),
     ("05.03.2024 8:05", (datetime(2024, 3, 5, 8, 5), True)),
     ("05-03-2024", (datetime(2024, 3, 5), False)),
     ("2024-03-05 00:00:00", (datetime(2024, 3, 5), False)),  # how Excel writes a bare date
     (datetime(2024, 3, 5, 14, 30), (datetime(2024, 3, 5, 14, 30), True)),
     (D, (datetime(2024, 3, 5), False)),
     ("", None)],
)
def test_timestamps(raw: object, expected: tuple[datetime, bool] | None) -> None:
    assert parse_timestamp(raw) == expected


@pytest.mark.parametrize("raw", ["05-03-2024 24:00", "05-03-2024 14:60", "05-03-2024 kl. 14",
                                 "14:30", "05-03-2024T", "2024-03-05T14:30+01:00"])
def test_invalid_timestamps(raw: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_timestamp(raw)
    assert caught.value.reason is Reason.INVALID_TIMESTAMP


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Ja", True), ("ja", True), ("J", True), ("1", True), ("true", True), ("TRUE", True),
     ("Nej", False), ("NEJ", False), ("n", False), ("0", False), ("false", False), (True, True),
     (False, False), (1, True), (0, False), ("", None), (None, None)],
)
def test_booleans(raw: object, expected: bool | None) -> None:
    assert parse_bool(raw) is expected


@pytest.mark.parametrize("raw", ["måske", "2", "yes", 2])
def test_invalid_booleans(raw: object) -> None:
    with pytest.raises(BadValue, match=Reason.INVALID_BOOL.value):
        parse_bool(raw)


@pytest.mark.parametrize(("raw", "expected"),
                         [("3", 3), (" 12 ", 12), ("3.0", 3), ("3,00", 3), (3, 3), (3.0, 3),
                          ("0", 0), ("", None)])
def test_integers(raw: object, expected: int | None) -> None:
    assert parse_int(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "2.5", "1.000", "tre", -1, 2.5, True, float("inf")])
def test_invalid_integers(raw: object) -> None:
    with pytest.raises(BadValue, match=Reason.INVALID_INT.value):
        parse_int(raw)


def test_enum_words_are_matched_case_insensitively_and_canonical_values_pass() -> None:
    parse = enum_parser(("support", "placement"), {"Støtte": "support", " Anbringelse ": "placement"})
    assert parse("støtte") == "support"
    assert parse(" ANBRINGELSE") == "placement"
    assert parse("Placement") == "placement"
    assert parse("") is None
    with pytest.raises(BadValue, match=Reason.UNKNOWN_VALUE.value):
        parse("Familiebehandling")


def test_text_is_trimmed_and_numbers_from_a_spreadsheet_lose_their_decimals() -> None:
    assert parse_text("  Team Nord ") == "Team Nord"
    assert parse_text(1234.0) == "1234"
    assert parse_text(" ") is None


# The century table of CPR-kontoret: 7th digit and year (yy) -> century.
@pytest.mark.parametrize(
    ("cpr", "born"),
    [("010100-0000", date(1900, 1, 1)), ("311299-3999", date(1999, 12, 31)),
     ("010136-4000", date(2036, 1, 1)), ("010137-4000", date(1937, 1, 1)),
     ("010157-5000", date(2057, 1, 1)), ("010158-8000", date(1858, 1, 1)),
     ("010136-9000", date(2036, 1, 1)), ("010137-9999", date(1937, 1, 1)),
     ("290200-4000", date(2000, 2, 29)), ("0101154123", date(2015, 1, 1)),
     (" 010115-4123 ", date(2015, 1, 1))],
)
def test_cpr_birth_date_follows_the_century_table(cpr: str, born: date) -> None:
    assert cpr_birth_date(cpr) == born


@pytest.mark.parametrize(
    "cpr",
    ["320115-4123", "011315-4123", "290201-4000", "290200-3000",  # 1900 was not a leap year
     "010115-412", "010115 4123", "01-01-15-4123", "010115_4123", "abcdef-ghij", ""],
)
def test_invalid_cpr_numbers(cpr: str) -> None:
    assert cpr_birth_date(cpr) is None


def test_a_cpr_number_of_a_child_born_after_the_as_of_date_is_invalid() -> None:
    assert cpr_birth_date("010150-5000") == date(2050, 1, 1)
    assert cpr_birth_date("010150-5000", not_after=date(2025, 6, 30)) is None


def test_pseudonyms_are_keyed_stable_and_never_look_like_a_cpr_number() -> None:
    a = pseudonym("010115-4123", DEMO_KEY)
    assert a == pseudonym("0101154123", DEMO_KEY)  # the hyphen does not matter
    assert a != pseudonym("010115-4123", b"another key of sixteen bytes")
    assert a.startswith(PSEUDONYM_PREFIX) and len(a) == len(PSEUDONYM_PREFIX) + 19
    assert "0101" not in a
    for n in range(2000):
        assert not contains_cpr(pseudonym(f"{n % 28 + 1:02d}0115-{n:04d}", DEMO_KEY))
    assert len(DEMO_KEY) >= MIN_KEY_BYTES


@pytest.mark.parametrize(
    ("text", "found"),
    [("010115-4123", True), ("Team 0101154123 Nord", True), ("0101154123", True),
     ("S-00001234567", False), ("320115-4123", False), ("12345", False), ("01011541234", False)],
)
def test_contains_cpr(text: str, found: bool) -> None:
    assert contains_cpr(text) is found


def test_quarantine_values_are_masked() -> None:
    assert masked("se 010115-4123 og 3101154123") == f"se {CPR_HIDDEN} og {CPR_HIDDEN}"
    assert display_value(date(2024, 3, 5)) == "2024-03-05"
    assert display_value(None) is None


@pytest.mark.parametrize(
    ("line", "sep"),
    [("a;b;c", ";"), ("a,b,c", ","), ("a\tb", "\t"), ("Hjemmel, stk.;b;c", ";"), ("abc", ";")],
)
def test_separator_sniffing(line: str, sep: str) -> None:
    assert sniff_separator(line) == sep


def test_decoding_utf8_bom_and_windows_1252() -> None:
    text = "Sagsnummer;Undersøgelse;Ærø"
    assert decode(text.encode("utf-8"), "x") == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "x") == text
    assert decode(text.encode("cp1252"), "x") == text


def test_zone_aware_native_timestamps_become_danish_local_time() -> None:
    from datetime import UTC

    summer = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    winter = datetime(2024, 1, 15, 23, 30, tzinfo=UTC)
    assert parse_timestamp(summer) == (datetime(2024, 7, 1, 10, 0), True)
    assert parse_timestamp(winter) == (datetime(2024, 1, 16, 0, 30), True)
