"""An encrypted submission from a phone: opened in memory, checked, made a finalised record.

The order is the order of trust (docs/odk.md, "What the station does with a submission"):
the manifest must say "encrypted" (a plain submission is refused before anything is read);
the form must be one this station serves; a submission seen before is recognised by the
hash of its instance id, and the same encrypted bytes again are answered as received
(nothing is decrypted twice). Otherwise every file is decrypted with the station's RSA key,
in memory, and the element signature checked; the clear instance must name the manifest's
form, version and instance id; its answers are checked by the engine as typed answers are.
Only then is the record written, in one transaction (:func:`records.phone.from_phone`).
A refusal at any step changes nothing.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError
from app.crypto.odk import EncryptedSubmission, open_submission
from app.extensions import db
from app.models import OdkSubmission, Record
from app.protocol.openrosa import Instance, OpenRosaError, read_instance, read_manifest
from app.questionnaire import FREE_TEXT_TYPES, Definition
from app.questionnaire.xform_answers import instance_answers
from app.services.errors import RecordDamaged, SubmissionRefused
from app.services.odk import forms
from app.services.odk import keys as odk_keys
from app.services.odk.phones import Phone
from app.services.records import phone as phone_records
from app.services.records.answer_messages import message as answer_message
from app.services.records.store import decrypt
from app.text.zawgyi import to_unicode

INSTANCE_INFO = b"tip-screen/v1/odk-instance:"


class Received(enum.Enum):
    CREATED = "created"
    DUPLICATE = "duplicate"  # the same submission again: the record it became the first time


@dataclass(frozen=True)
class Answer:
    result: Received
    record_id: str


def instance_hash(instance_id: str) -> str:
    return hashlib.sha256(INSTANCE_INFO + instance_id.encode()).hexdigest()


def _payload_sha256(encrypted_key_b64: str, xml: bytes) -> str:
    return hashlib.sha256(encrypted_key_b64.encode() + b"\x00" + hashlib.sha256(xml).digest()).hexdigest()


_MANIFEST_MESSAGES = {
    "not_encrypted": (_l("This station takes only submissions encrypted on the phone. Download "
                         "the form again from the station and fill it again."), 403),
    "too_large": (_l("The submission is too large."), 400),
    "not_xml": (_l("The submission is not a readable form. Nothing was stored."), 400),
    "incomplete_manifest": (_l("The encrypted submission is incomplete. Nothing was stored."), 400),
    "repeated_element": (_l("The submission does not match the station's form. Nothing was stored."), 400),
}


def _refused(error: OpenRosaError) -> SubmissionRefused:
    text, status = _MANIFEST_MESSAGES.get(error.key, _MANIFEST_MESSAGES["not_xml"])
    return SubmissionRefused(text, status)


def _tampered() -> SubmissionRefused:
    return SubmissionRefused(_l("The encrypted submission does not open with this station's key, or "
                                "was changed on its way. Nothing was stored."), 400)


def _conflict() -> SubmissionRefused:
    return SubmissionRefused(_l("A different submission with the same instance ID was already "
                                "received. The first one is kept; nothing was changed."), 409)


def receive(phone: Phone, manifest_xml: bytes, files: Mapping[str, bytes]) -> Answer:
    """Store one submission (``files``: each multipart file by its file name)."""
    try:
        manifest = read_manifest(manifest_xml)
    except OpenRosaError as exc:
        raise _refused(exc) from None
    definition = forms.find(manifest.form_id, manifest.version or "")
    if definition is None:
        raise SubmissionRefused(_l("This form is not on this station. Download the forms again "
                                   "from the station."), 404)
    if manifest.media_files:
        raise SubmissionRefused(_l("This station's forms have no photos or files, but the "
                                   "submission carries some. Nothing was stored."), 400)
    xml_enc = files.get(manifest.xml_file)
    if xml_enc is None:
        raise SubmissionRefused(_l("The encrypted submission is incomplete. Nothing was stored."), 400)
    key_hash = instance_hash(manifest.instance_id)
    payload = _payload_sha256(manifest.encrypted_key_b64, xml_enc)
    seen = db.session.get(OdkSubmission, key_hash)
    if seen is not None and seen.payload_sha256 == payload:
        return Answer(Received.DUPLICATE, seen.record_id)
    try:
        opened = open_submission(odk_keys.private_key(phone.keys), EncryptedSubmission(
            form_id=manifest.form_id, version=manifest.version, instance_id=manifest.instance_id,
            encrypted_key_b64=manifest.encrypted_key_b64, signature_b64=manifest.signature_b64,
            media=(), xml=xml_enc))
    except CryptoError:
        raise _tampered() from None
    try:
        instance = read_instance(opened.xml)
    except OpenRosaError as exc:
        raise _refused(exc) from None
    if (instance.instance_id != manifest.instance_id or instance.form_id != manifest.form_id
            or (instance.version or None) != manifest.version):
        raise _tampered()
    xml_sha256 = hashlib.sha256(opened.xml).hexdigest()
    if seen is not None:
        return _same_again(phone, seen, xml_sha256)
    submission = _checked(phone, definition, instance, key_hash, payload, xml_sha256)
    try:
        rec = phone_records.from_phone(phone.user, phone.keys, definition, submission)
    except sa.exc.IntegrityError:
        seen = db.session.get(OdkSubmission, key_hash)  # another request stored it meanwhile
        if seen is None:
            raise
        if seen.payload_sha256 == payload:
            return Answer(Received.DUPLICATE, seen.record_id)
        return _same_again(phone, seen, xml_sha256)
    return Answer(Received.CREATED, rec.id)


def _same_again(phone: Phone, seen: OdkSubmission, xml_sha256: str) -> Answer:
    """Other encrypted bytes under an instance id already stored: the same submission
    encrypted again (its clear instance is the one kept in the record) or a conflict."""
    rec = db.session.get(Record, seen.record_id)
    if rec is not None and rec.created_by == phone.user.id:
        try:
            _, body = decrypt(rec, phone.keys)
        except (RecordDamaged, CryptoError):
            body = {}
        if (body.get("source") or {}).get("xml_sha256") == xml_sha256:
            return Answer(Received.DUPLICATE, seen.record_id)
    raise _conflict()


def _checked(phone: Phone, definition: Definition, instance: Instance, key_hash: str,
             payload: str, xml_sha256: str) -> phone_records.PhoneSubmission:
    values = dict(instance.values)
    originals: dict[str, str] = {}
    for question in definition.questions():
        text = values.get(question.id)
        if text is not None and question.type in FREE_TEXT_TYPES:
            converted = to_unicode(text)
            if converted.converted:
                originals[question.id] = converted.original
                values[question.id] = converted.text
    answers, problems = instance_answers(definition, values)
    if problems:
        language = str(get_locale() or "en")
        first_id, first = next(iter(problems.items()))
        raise SubmissionRefused(_l("An answer in the submission was refused (question %(id)s: "
                                   "%(why)s). Nothing was stored.", id=first_id,
                                   why=answer_message(first, language)), 400)
    lang = phone.user.locale or "en"
    if lang not in definition.languages:
        lang = "en" if "en" in definition.languages else definition.languages[0]
    return phone_records.PhoneSubmission(answers=answers, zawgyi_originals=originals, lang=lang,
                                         instance_hash=key_hash, payload_sha256=payload,
                                         xml_sha256=xml_sha256)
