"""Records changed outside tip-screen are refused, by id, and nothing else changes.

Someone with the laptop's disk but no passphrase can still edit the SQLite
file: flip bytes, swap the plaintext header columns between records, or copy
one record's ciphertext under another record's id. Every such edit must make
exactly the edited record(s) refuse to open, with an error naming the record;
the other records must still open with their answers, and opening or listing
must write nothing (the damaged bytes stay as found, for an administrator).
"""

from __future__ import annotations

from datetime import date

import pytest

from app.crypto import (
    BadSignature,
    EnvelopeError,
    generate_signing_key,
    generate_x25519,
    open_envelope,
    parse_envelope,
    verify_envelope,
)
from app.services import installation, records
from app.services.errors import RecordDamaged, ServiceError
from tests.records.conftest import Central, Station, flip


@pytest.fixture
def four(station: Station, central: Central, in_app: object) -> dict[str, dict[str, object]]:
    """Two drafts and two sealed records, on four different days; their answers by id."""
    ids = [
        station.make({"q_respondent_name": "Draft One", "q_handover_note": "first note"},
                     today=date(2026, 1, 1)),
        station.make({"q_respondent_name": "Draft Two"}, today=date(2026, 1, 2), lang="th"),
    ]
    station.enrol(central)
    ids += [
        station.make({"q_respondent_name": "Sealed One", "q_handover_note": "sealed note"},
                     final=True, today=date(2026, 1, 3)),
        station.make({"q_respondent_name": "Sealed Two"}, final=True, today=date(2026, 1, 4), lang="km"),
    ]
    rows = station.rows()
    assert [rows[i]["envelope"] is None for i in ids] == [True, True, False, False]
    assert [rows[i]["body"] is None for i in ids] == [False, False, True, True]
    return {rid: station.answers(rid) for rid in ids}


def assert_refused(station: Station, victims: set[str], expected: dict[str, dict[str, object]],
                   before: dict[str, dict[str, object]]) -> None:
    """The victims refuse to open (naming themselves); the rest open; nothing is written."""
    tampered = station.rows()
    for rid in victims:
        with pytest.raises(RecordDamaged) as caught:
            station.answers(rid)
        assert rid in str(caught.value)
    listed = {s.id: s for s in records.list_for(station.admin(), station.secret)}
    assert set(listed) == set(expected)
    for rid, answers in expected.items():
        if rid in victims:
            assert not listed[rid].readable and listed[rid].name == ""
        else:
            assert station.answers(rid) == answers
            assert listed[rid].readable and listed[rid].name == answers["q_respondent_name"]
            assert tampered[rid] == before[rid]
    assert station.rows() == tampered, "opening or listing rewrote a record"


def _positions(blob: bytes, keep_all: int, tail: int, stride: int) -> list[int]:
    """All of the first ``keep_all`` bytes and the last ``tail``, and every ``stride``-th between."""
    end = len(blob)
    return sorted({*range(keep_all), *range(keep_all, end - tail, stride), *range(end - tail, end)})


def test_flipped_draft_ciphertext_is_refused_and_not_rewritten(station, four):
    draft = next(iter(four))
    before = station.rows()
    body = before[draft]["body"]
    for n, pos in enumerate(_positions(body, 12, 16, 101)):  # nonce, ciphertext, tag
        station.set(draft, body=flip(body, pos))
        if n % 10 == 0:
            assert_refused(station, {draft}, four, before)
        else:
            with pytest.raises(RecordDamaged, match=draft):
                station.answers(draft)
    # A save and a finalisation refuse too, and leave the damaged bytes as they were.
    damaged = station.row(draft)
    with pytest.raises(RecordDamaged, match=draft):
        records.save_answers(draft, station.admin(), station.secret, {"q_handover_note": "x"}, lang="en")
    with pytest.raises(RecordDamaged, match=draft):
        records.finalise(draft, station.admin(), station.secret)
    assert station.row(draft) == damaged
    station.set(draft, body=body)
    assert station.answers(draft) == four[draft]


def test_flipped_local_wrap_is_refused(station, four):
    before = station.rows()
    for rid in (list(four)[0], list(four)[2]):  # a draft's wrap and a sealed record's wrap
        wrap = before[rid]["local_wrap"]
        assert len(wrap) == 198  # a wrap set: to the creator and to the administrators
        for pos in range(len(wrap)):
            station.set(rid, local_wrap=flip(wrap, pos))
            with pytest.raises(RecordDamaged, match=rid):
                station.answers(rid)
        assert_refused(station, {rid}, four, before)
        station.set(rid, local_wrap=wrap)
    assert station.rows() == before


def test_flipped_envelope_byte_anywhere_is_refused(station, four):
    """Header, sealed key, body and signature: a flipped bit anywhere is caught locally too.

    Otherwise the officer would see a healthy record whose envelope central can only refuse.
    """
    sealed = list(four)[2]
    before = station.rows()
    envelope = before[sealed]["envelope"]
    parsed = parse_envelope(envelope)
    h = len(parsed.header_bytes)
    positions = _positions(envelope, h + 86 + 12, 64 + 16, 97)
    assert len(positions) > 200
    for n, pos in enumerate(positions):
        station.set(sealed, envelope=flip(envelope, pos))
        if n % 25 == 0:
            assert_refused(station, {sealed}, four, before)
        else:
            with pytest.raises(RecordDamaged, match=sealed):
                station.answers(sealed)
    # Even with the stored hash "fixed" to match, a re-computed envelope is refused.
    bad = flip(envelope, len(envelope) - 1)
    station.set(sealed, envelope=bad, envelope_sha256=parse_envelope(bad).sha256)
    assert_refused(station, {sealed}, four, before)
    station.set(sealed, envelope=envelope, envelope_sha256=before[sealed]["envelope_sha256"])
    assert station.rows() == before and station.answers(sealed) == four[sealed]


@pytest.mark.parametrize("column", ["seq", "created_day", "questionnaire_version", "local_key_id"])
def test_swapped_or_edited_header_columns_are_refused(station, four, column):
    ids = list(four)
    before = station.rows()
    if column in ("seq", "created_day"):
        # Swap between a draft and a sealed record, and between the two sealed ones.
        for a, b in ((ids[0], ids[2]), (ids[2], ids[3])):
            va, vb = before[a][column], before[b][column]
            if column == "seq":
                station.set(a, seq=-1)  # (station_id, seq) is unique
            station.set(b, **{column: va})
            station.set(a, **{column: vb})
            assert_refused(station, {a, b}, four, before)
            if column == "seq":
                station.set(a, seq=-1)
            station.set(b, **{column: vb})
            station.set(a, **{column: va})
    else:
        for rid in (ids[1], ids[3]):
            station.set(rid, **{column: "9999.9"})
            assert_refused(station, {rid}, four, before)
            station.set(rid, **{column: before[rid][column]})
    assert station.rows() == before


def test_record_moved_to_another_station_id_is_refused(station, four):
    before = station.rows()
    for rid in (list(four)[0], list(four)[3]):
        station.set(rid, station_id="00000000-0000-4000-8000-000000000000")
        assert_refused(station, {rid}, four, before)
        station.set(rid, station_id=before[rid]["station_id"])
    assert station.rows() == before


def test_ciphertext_replayed_under_another_id_is_refused(station, four):
    d1, d2, s1, s2 = four
    before = station.rows()
    # A draft's body and wrap copied under the other draft's id.
    station.set(d2, body=before[d1]["body"], local_wrap=before[d1]["local_wrap"])
    assert_refused(station, {d2}, four, before)
    station.set(d2, body=before[d2]["body"], local_wrap=before[d2]["local_wrap"])
    # Only the body, keeping the victim's own wrap.
    station.set(d2, body=before[d1]["body"])
    assert_refused(station, {d2}, four, before)
    station.set(d2, body=before[d2]["body"])
    # A sealed record's whole envelope, hash and wrap copied under the other sealed id.
    station.set(s2, envelope=before[s1]["envelope"], envelope_sha256=before[s1]["envelope_sha256"],
                local_wrap=before[s1]["local_wrap"])
    assert_refused(station, {s2}, four, before)
    station.set(s2, envelope=before[s2]["envelope"], envelope_sha256=before[s2]["envelope_sha256"],
                local_wrap=before[s2]["local_wrap"])
    # A sealed body moved into a draft (as its "draft" ciphertext).
    station.set(d1, body=parse_envelope(before[s1]["envelope"]).body_ciphertext,
                local_wrap=before[s1]["local_wrap"])
    assert_refused(station, {d1}, four, before)
    station.set(d1, body=before[d1]["body"], local_wrap=before[d1]["local_wrap"])
    assert station.rows() == before
    assert {rid: station.answers(rid) for rid in four} == four


def test_damaged_waiting_record_does_not_stop_the_others_being_sealed(station, central, in_app):
    good = station.make({"q_respondent_name": "Waits fine"}, final=True)
    bad = station.make({"q_respondent_name": "Waits damaged"}, final=True)
    assert station.row(good)["envelope"] is None and station.row(bad)["envelope"] is None
    damaged_body = flip(station.row(bad)["body"], 40)
    station.set(bad, body=damaged_body)
    station.enrol(central)
    records.seal_waiting(station.secret)
    assert station.row(good)["envelope"] is not None
    assert station.row(bad)["envelope"] is None and station.row(bad)["body"] == damaged_body
    with pytest.raises(RecordDamaged, match=bad):
        station.answers(bad)


def test_sealed_envelope_refusals(station, four, central):
    """What central's reader refuses: every one names the record id."""
    s1, s2 = list(four)[2:]
    rows = station.rows()
    envelope, other = rows[s1]["envelope"], rows[s2]["envelope"]
    station_public = installation.get().signing_public_key
    parsed = parse_envelope(envelope)
    verify_envelope(parsed, station_public)
    assert b"Sealed One" in open_envelope(parsed, central.private)

    h = len(parsed.header_bytes)
    for pos in [*range(5, h), *range(h, h + 86, 7), len(envelope) // 2, *range(len(envelope) - 64, len(envelope))]:
        try:
            tampered = parse_envelope(flip(envelope, pos))
        except EnvelopeError as exc:  # the header no longer parses
            assert exc.record_id is None or s1 in str(exc)
            continue
        with pytest.raises(BadSignature, match=str(tampered.record_id)):
            verify_envelope(tampered, station_public)
    # Signed by another station's key.
    with pytest.raises(BadSignature, match=s1):
        verify_envelope(parsed, generate_signing_key()[1])
    # Sealed key swapped in from another record (it is bound to its own header).
    spliced = parsed.__class__(**{**parsed.__dict__, "sealed_key": parse_envelope(other).sealed_key})
    with pytest.raises(EnvelopeError, match=s1):
        open_envelope(spliced, central.private)
    # Another central key.
    with pytest.raises(EnvelopeError, match=s1):
        open_envelope(parsed, generate_x25519()[0])
    # Unknown version, truncation, trailing bytes, foreign data.
    with pytest.raises(EnvelopeError, match=f"record {s1}: unsupported envelope version 9"):
        parse_envelope(envelope[:4] + b"\x09" + envelope[5:])
    for cut in [*range(0, 40), *range(40, len(envelope), 89)]:
        with pytest.raises(EnvelopeError) as caught:
            parse_envelope(envelope[:cut])
        if cut >= 21:
            assert caught.value.record_id is not None and str(caught.value.record_id) == s1
            assert s1 in str(caught.value)
    with pytest.raises(EnvelopeError, match=f"record {s1}: trailing bytes"):
        parse_envelope(envelope + b"\x00")
    for foreign in (b"", b"\x89PNG\r\n\x1a\n" + bytes(100), rows[s1]["local_wrap"], b"TIPK\x01\x01" + bytes(80)):
        with pytest.raises(EnvelopeError, match="bad magic"):
            parse_envelope(foreign)


def test_damaged_record_gives_an_error_page_not_a_crash(station, four, app, client):
    """Through the pages: the list still renders (the damaged one marked unreadable), opening refuses."""
    from tests.support.web import login

    sealed = list(four)[2]
    station.set(sealed, envelope=b"garbage where an envelope belongs")
    assert login(client, "admin", "long enough test phrase").status_code == 302
    listing = client.get("/screenings/")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert f'data-record="{sealed}"' in html
    for rid, answers in four.items():
        if rid != sealed:
            assert str(answers["q_respondent_name"]) in html
    assert "Sealed One" not in html
    page = client.get(f"/screenings/{sealed}/outcome")
    assert page.status_code == 409
    with pytest.raises(ServiceError, match=sealed):
        station.answers(sealed)


def test_bad_blobs_where_ciphertext_belongs_are_refused_by_id(station, four):
    """Truncated, foreign or unknown-version data in the record columns: a clear error, nothing else."""
    d1, d2, s1, s2 = four
    before = station.rows()
    envelope, body, wrap = before[s1]["envelope"], before[d1]["body"], before[d1]["local_wrap"]
    slot_like = b"TIPK\x01\x01" + bytes(85)
    bad_envelopes = [
        envelope[:4] + b"\x02" + envelope[5:],                 # unknown version
        envelope[:4] + b"\xff" + envelope[5:],
        *(envelope[:cut] for cut in (0, 3, 5, 20, 21, 60, len(envelope) // 2, len(envelope) - 1)),
        envelope + b"\x00",                                     # trailing bytes
        b"\x89PNG\r\n\x1a\n" + bytes(200),                      # foreign file
        before[s2]["local_wrap"], slot_like, body,              # other tip-screen blobs
    ]
    for bad in bad_envelopes:
        station.set(s1, envelope=bad)
        with pytest.raises(RecordDamaged, match=s1):
            station.answers(s1)
    assert_refused(station, {s1}, four, before)
    station.set(s1, envelope=envelope)

    for bad in (body[:cut] for cut in (0, 1, 12, 28, 100, len(body) - 1)):
        station.set(d1, body=bad)
        with pytest.raises(RecordDamaged, match=d1):
            station.answers(d1)
    for bad in (envelope, slot_like, b"\x00" * 4124):
        station.set(d1, body=bad)
        with pytest.raises(RecordDamaged, match=d1):
            station.answers(d1)
    assert_refused(station, {d1}, four, before)
    station.set(d1, body=body)

    for bad in (b"", wrap[:-1], wrap + b"\x00", bytes(60), bytes(len(wrap)), slot_like, envelope[:60]):
        station.set(d1, local_wrap=bad)
        with pytest.raises(RecordDamaged, match=d1):
            station.answers(d1)
    assert_refused(station, {d1}, four, before)
    station.set(d1, local_wrap=wrap)
    assert station.rows() == before
