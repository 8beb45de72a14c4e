"""The sync vocabulary: numbered problems with stable codes, documented in docs/sync.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.protocol import problems
from app.protocol.problems import Problem, Result

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync.md"


def test_codes_are_unique_and_name_their_status():
    codes = [p.code for p in problems.ALL]
    assert len(codes) == len(set(codes))
    for p in problems.ALL:
        assert 400 <= p.status < 600 and p.status == int(p.code)
        # One decimal: 409.10 would read back as 409.1.
        assert re.fullmatch(r"\d{3}\.[1-9]", str(p.code)), p
        assert p.name and len(p.text) >= 10
        assert problems.by_code(p.code) is p
        assert problems.by_code(float(str(p.code))) is p  # as it comes out of JSON
    assert problems.by_code(True) is None and problems.by_code("401.1") is None
    assert problems.by_code(None) is None and problems.by_code(999.9) is None


def test_record_problems_come_with_their_result_and_read_back():
    assert {p.name for p in problems.RECORD_PROBLEMS} == {
        "different_content_same_id", "deleted_at_central", "bad_signature", "bad_envelope"}
    for p in problems.RECORD_PROBLEMS:
        assert p.result in (Result.CONFLICT, Result.REFUSED)
        assert problems.stored_problem(p.stored) is p
        assert problems.record_problem(p.result, p.code, "anything") is p  # the code wins
        assert problems.record_problem(p.result, None, p.name) is p  # an older central: the name
    for p in problems.REQUEST_PROBLEMS:
        assert p.result is None
        assert problems.stored_problem(p.stored) is problems.BAD_ENVELOPE  # never a record's problem


def test_what_older_stations_stored_reads_as_the_same_problem():
    assert problems.stored_problem("conflict: different_content_same_id") is problems.SAME_ID_OTHER_CONTENT
    assert problems.stored_problem("refused: deleted_at_central") is problems.DELETED_AT_CENTRAL
    assert problems.stored_problem("refused: bad_signature") is problems.ENVELOPE_SIGNATURE
    # Anything else older versions stored was shown as "could not read the sealed record".
    assert problems.stored_problem("refused: bad_envelope: trailing bytes") is problems.BAD_ENVELOPE
    assert problems.stored_problem("") is problems.BAD_ENVELOPE


@pytest.mark.parametrize("status", list(Result))
def test_unknown_or_missing_reasons_fall_back_to_the_results_general_problem(status):
    if status not in (Result.CONFLICT, Result.REFUSED):
        return
    got = problems.record_problem(status, 123.4, "no such reason")
    assert got.result is status
    # A code of the other result is not believed.
    other = problems.DELETED_AT_CENTRAL if status is Result.CONFLICT else problems.SAME_ID_OTHER_CONTENT
    assert problems.record_problem(status, other.code).result is status


def test_results_read_from_answers():
    assert Result.read("accepted") is Result.ACCEPTED and Result.read("unknown") is Result.UNKNOWN
    assert Result.read("what?") is Result.REFUSED and Result.read(None) is Result.REFUSED
    assert [r for r in Result if r.has_receipt] == [Result.ACCEPTED, Result.DUPLICATE]


def test_an_answer_keeps_the_fields_older_stations_read():
    answer = problems.ProblemError(problems.REVOKED).answer()
    assert answer == {"error": "revoked", "code": 401.4, "message": "This station's enrolment was revoked."}
    assert problems.ProblemError(problems.INVALID_REQUEST, "records[0]: no id").answer()["message"] == \
        "records[0]: no id"


def _documented() -> list[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Problems", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (\d{3}\.\d) \| (\d{3}) \| `([a-z_]+)` \|", section, re.MULTILINE)


def test_docs_table_lists_exactly_the_problems():
    def row(p: Problem) -> tuple[str, str, str]:
        return (str(p.code), str(p.status), p.name)

    assert _documented() == [row(p) for p in problems.ALL]
