from __future__ import annotations

import json

import pytest

from app.protocol import body


def _record(**extra):
    return {"format": 1, "respondent_lang": "my", "override": None,
            "answers": {"q_respondent_name": {"value": "Ma\nAye", "lang": "my"}},
            "outcome": {"tier": "possible_victim", "flags": [{"code": "CHILD", "level": "alert"},
                                                            {"code": "NO_SHARING", "level": "notice"}]},
            **extra}


def test_round_trip_and_summary_line():
    data = body.encode(_record())
    assert data.count(b"\n") == 1  # a newline inside an answer is escaped, never raw
    assert body.decode(data) == _record()
    assert body.decode_summary(data) == {"name": "Ma\nAye", "tier": "possible_victim",
                                         "flags": ["CHILD"], "respondent_lang": "my"}


def test_override_is_the_tier_shown():
    data = body.encode(_record(override={"tier": "refer_mdt", "reason": "x" * 20}))
    assert body.decode_summary(data)["tier"] == "refer_mdt"


def test_one_line_bodies_still_read():
    old = json.dumps(_record()).encode()
    assert body.decode(old) == _record()
    assert body.decode_summary(old)["name"] == "Ma\nAye"


@pytest.mark.parametrize("junk", [b"", b"not json", b"[1,2]", b"{}\n[1]", b"\xff\xfe"])
def test_junk_is_a_body_error(junk):
    with pytest.raises(body.BodyError):
        body.decode(junk)
