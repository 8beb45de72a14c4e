"""Central's directory pages: who may read and who may edit, validation with clear messages
(nothing saved), retirement that never deletes, and an audit entry for every change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, DirectoryVersion
from app.roles import Role
from app.services.central import directory
from tests.directory.conftest import add_organisation
from tests.support.web import csrf_from, post_form


def _versions(app) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(DirectoryVersion)) or 0)


def _audit(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.detail) for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.startswith("directory")).order_by(AuditEntry.id))]


def test_administrators_add_edit_and_retire_and_each_change_is_audited(as_role, central_app):
    admin = as_role(Role.ADMIN)
    assert add_organisation(admin).status_code == 302
    with central_app.app_context():
        (org,) = directory.organisations()
    edit_url = f"/central/directory/{org.id}/edit"
    form = admin.get(edit_url).get_data(as_text=True)
    assert 'value="055 123 456"' in form and "บ้านพักเด็กจังหวัดตาก" in form  # the current text, to edit
    changed = post_form(admin, edit_url, edit_url, {
        "kind": "shelter", "country": "TH", "province": "Tak", "services": ["children"], "languages": ["th"],
        "phone": "055 000 111", "name_en": "Tak children's home"})
    assert changed.status_code == 302
    retired = post_form(admin, "/central/directory", f"/central/directory/{org.id}/retire", {})
    assert retired.status_code == 302
    assert "is retired" in admin.get("/central/directory").get_data(as_text=True)
    with central_app.app_context():
        (now,) = directory.organisations()  # still there: retired, not deleted
        assert now.retired and now.contact("phone") == "055 000 111" and now.name.get("th") == "Tak children's home"
        assert directory.current_version() == 3
    assert _audit(central_app) == [("directory_add", f"directory version 1: added {org.id}"),
                                   ("directory_edit", f"directory version 2: edited {org.id}"),
                                   ("directory_retire", f"directory version 3: retired {org.id}")]
    # Retiring twice makes no new version.
    post_form(admin, "/central/directory", f"/central/directory/{org.id}/retire", {})
    assert _versions(central_app) == 3
    log = admin.get("/central/audit").get_data(as_text=True)
    assert "added an organisation to the referral directory" in log


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name_en": ""}, "name_en", "A name in English is needed"),
    ({"name_th": "ก" * 201}, "name_th", "At most 200 characters."),
    ({"kind": "casino"}, "kind", "Not a valid choice"),
    ({"services": ["children", "astrology"]}, "services", "not a valid choice"),
    ({"description_en": "", "description_my": "ကလေး"}, "description_en", "needs the English one too"),
    ({"public_key": "not a key"}, "public_key", "not a 32-byte X25519 key"),
    ({"name_my": "ကလေး\x00"}, "name_my", "control characters"),
    ({"phone": "055\x1b[2J"}, "phone", "control characters"),
    ({"public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "fingerprint": "ABCD-EFGH-IJKL-MNOP"},
     "public_key", "does not match the public key"),
])
def test_a_form_that_does_not_fit_says_why_and_saves_nothing(as_role, central_app, changes, field, message):
    admin = as_role(Role.ADMIN)
    answer = add_organisation(admin, **changes)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    error = page[page.index(f'id="{field}-error"'):]
    assert message in error[:400], error[:400]
    assert "Nothing was saved" in page
    assert _versions(central_app) == 0 and _audit(central_app) == []


def test_format_characters_of_thai_khmer_and_burmese_text_are_kept(as_role, central_app):
    """A zero-width space (U+200B) marks word breaks in Khmer and Thai: text, not a control."""
    admin = as_role(Role.ADMIN)
    assert add_organisation(admin, name_km="ជម្រក\u200bម៉ែសត",
                            description_en="Line one.\nLine two.").status_code == 302
    with central_app.app_context():
        (org,) = directory.organisations()
    assert org.name.get("km") == "ជម្រក\u200bម៉ែសត" and org.description.get("en") == "Line one.\nLine two."


def test_a_partner_key_with_its_fingerprint_is_kept(as_role, central_app):
    from app.crypto import fingerprint, generate_x25519
    from app.protocol.messages import b64

    _private, public = generate_x25519()
    admin = as_role(Role.ADMIN)
    answer = add_organisation(admin, country="MM", province="Kayin", public_key=b64(public),
                              fingerprint=fingerprint(public).lower())
    assert answer.status_code == 302
    with central_app.app_context():
        (org,) = directory.organisations()
    assert org.public_key == b64(public) and org.fingerprint == fingerprint(public)


def test_the_page_is_translated(as_role, central_app):
    admin = as_role(Role.ADMIN)
    add_organisation(admin)
    admin.post("/language", data={"lang": "th", "csrf_token": csrf_from(admin.get("/central/directory")
                                                                       .get_data(as_text=True))})
    page = admin.get("/central/directory").get_data(as_text=True)
    assert '<html lang="th"' in page and "บ้านพักเด็กจังหวัดตาก" in page  # the Thai name, in Thai


def test_coordinators_read_only(as_role, central_app):
    admin = as_role(Role.ADMIN)
    add_organisation(admin)
    with central_app.app_context():
        (org,) = directory.organisations()
    coordinator = as_role(Role.COORDINATOR)
    listed = coordinator.get("/central/directory")
    assert listed.status_code == 200 and "Tak children" in listed.get_data(as_text=True)
    assert f"/central/directory/{org.id}/edit" not in listed.get_data(as_text=True)
    token = csrf_from(listed.get_data(as_text=True))
    assert coordinator.get("/central/directory/new").status_code == 403
    assert coordinator.post("/central/directory/new", data={"name_en": "X", "kind": "ngo", "country": "TH",
                                                            "csrf_token": token}).status_code == 403
    assert coordinator.post(f"/central/directory/{org.id}/retire", data={"csrf_token": token}).status_code == 403
    assert _versions(central_app) == 1


@pytest.mark.parametrize("role", [Role.OFFICER, Role.INTERPRETER, Role.OUTREACH])
def test_other_roles_see_nothing(as_role, central_app, role):
    admin = as_role(Role.ADMIN)
    add_organisation(admin)
    other = as_role(role)
    for url in ("/central/directory", "/central/directory/new"):
        answer = other.get(url)
        assert answer.status_code == 403 and "Tak children" not in answer.get_data(as_text=True)


def test_an_administrator_without_central_s_keys_cannot_sign(central_users, central_app):
    """A session whose slot did not open central's keys: the change is refused, nothing saved."""
    from tests.support.web import login

    creds = central_users(Role.ADMIN, "admin2", slot=False)
    admin = central_app.test_client()
    assert login(admin, creds["username"], creds["passphrase"]).status_code == 302
    answer = add_organisation(admin)
    assert answer.status_code == 400 and "cannot be signed" in answer.get_data(as_text=True)
    assert _versions(central_app) == 0


def test_a_received_record_names_the_directory_organisation_it_was_referred_to(as_role, central_app, fake_station):
    admin = as_role(Role.ADMIN)
    add_organisation(admin)
    with central_app.app_context():
        (org,) = directory.organisations()
    record_id, blob = fake_station.envelope({"q_referral_to": [org.id, "police_atpd"]})
    fake_station.deliver((record_id, blob))
    page = admin.get(f"/central/records/{record_id}").get_data(as_text=True)
    assert "Tak children&#39;s shelter" in page and org.id not in page
