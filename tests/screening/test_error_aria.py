"""A question's error message is tied to its inputs (aria-describedby / aria-invalid), as on
the ordinary forms, on every page of the interview and after a page post with a bad answer."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.support.web import csrf_from

CONTROLS = {"textarea", "select"}


class _Questions(HTMLParser):
    """Every answer control inside a question box, with the box's id, and every element id."""

    def __init__(self) -> None:
        super().__init__()
        self.box: str | None = None
        self.depth = 0
        self.controls: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "id" in found:
            self.ids.add(found["id"])
        if tag == "fieldset" and "question" in found.get("class", "").split():
            self.box, self.depth = found["id"], 0
        elif tag == "fieldset" and self.box:
            self.depth += 1
        if self.box and (tag in CONTROLS or (tag == "input" and found.get("type") != "hidden")):
            self.controls.append((self.box, found))

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self.box:
            if self.depth:
                self.depth -= 1
            else:
                self.box = None


def _parse(html: str) -> _Questions:
    parser = _Questions()
    parser.feed(html)
    return parser


def test_every_input_of_every_question_names_its_error_message(app, start):
    from app.services import questionnaires

    interview = start()
    with app.app_context():
        sections = [s.id for s in questionnaires.latest().sections]
    checked = 0
    for section in sections:
        page = _parse(interview.page(section).get_data(as_text=True))
        for box, attrs in page.controls:
            error_id = box.removesuffix("-box") + "-error"
            assert error_id in attrs.get("aria-describedby", "").split(), (section, box, attrs)
            assert error_id in page.ids
            assert "aria-invalid" not in attrs  # nothing is wrong yet
            checked += 1
    assert checked > 50


def test_a_bad_answer_marks_its_inputs_invalid_and_only_those(client, start):
    interview = start()
    html = interview.page("setup").get_data(as_text=True)
    seen = {k: v for k, v in _seen(html)}
    response = client.post(f"/screenings/{interview.id}/s/setup", data={
        **seen, "q-q_respondent_name": "y" * 300, "go": "next", "csrf_token": csrf_from(html)})
    assert response.status_code == 400
    page = _parse(response.get_data(as_text=True))
    invalid = {box for box, attrs in page.controls if attrs.get("aria-invalid") == "true"}
    assert invalid == {"q-q_respondent_name-box"}
    name_input = next(a for b, a in page.controls if a.get("id") == "q-q_respondent_name")
    assert name_input["aria-describedby"] == "q-q_respondent_name-error"


def _seen(html: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r'name="(seen-[^"]+)" value="([^"]*)"', html)
