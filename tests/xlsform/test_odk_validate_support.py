"""ODK Validate's helper: it rejects an invalid form, and says plainly when Java is missing."""

from __future__ import annotations

import pytest

from tests.support import odk_validate as support


def test_an_invalid_xform_fails_validation() -> None:
    broken = ('<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">'
              "<h:head><h:title>x</h:title><model><instance><data id=\"x\"><q/></data></instance>"
              '<bind nodeset="/data/q" relevant="no_such_function(1)"/></model></h:head>'
              '<h:body><input ref="/data/q"><label>Q</label></input></h:body></h:html>')
    with pytest.raises(AssertionError):
        support.odk_validate(broken)


def test_without_java_the_test_is_skipped_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "JAVA", "/nonexistent/java")
    monkeypatch.delenv("TIP_SCREEN_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="ODK Validate needs Java at /nonexistent/java"):
        support.odk_validate("<x/>")


def test_without_java_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "JAVA", "/nonexistent/java")
    monkeypatch.setenv("TIP_SCREEN_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="forbids skipping"):
        support.odk_validate("<x/>")
