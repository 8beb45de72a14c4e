"""The station's decryptor against submissions it did not make: a real ODK client's (ODK
Briefcase's test resources) and node-forge's (tests/odk/odk_encrypt.mjs, written from ODK's
specification); and every tampering it must notice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from app.crypto.odk import EncryptedSubmission, SubmissionDoesNotOpen, generate_rsa_key, open_submission
from app.protocol.openrosa import read_instance, read_manifest
from tests.odk.support import node_encrypt

BRIEFCASE = Path(__file__).resolve().parent / "data" / "briefcase"


def _briefcase() -> tuple[bytes, EncryptedSubmission]:
    pem = (BRIEFCASE / "encrypted-form-key.pem").read_bytes()
    private = serialization.load_pem_private_key(pem, password=None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    manifest = read_manifest((BRIEFCASE / "encrypted-form-submission.xml").read_bytes())
    return private, _submission(manifest, (BRIEFCASE / "encrypted-form-submission.xml.enc").read_bytes())


def _submission(manifest, xml: bytes, media=()) -> EncryptedSubmission:
    return EncryptedSubmission(form_id=manifest.form_id, version=manifest.version,
                               instance_id=manifest.instance_id,
                               encrypted_key_b64=manifest.encrypted_key_b64,
                               signature_b64=manifest.signature_b64, media=tuple(media), xml=xml)


def test_a_submission_encrypted_by_an_odk_client_opens_and_its_signature_holds():
    private, sub = _briefcase()
    opened = open_submission(private, sub)
    instance = read_instance(opened.xml)
    assert instance.values == {"name": "Guillermo"}
    assert instance.instance_id == "uuid:494cd080-3bf4-47be-b40f-c706a950d58a"
    assert instance.form_id == "encrypted-form"


@pytest.mark.parametrize("change", ["key", "xml", "signature", "instance", "form", "drop_signature"])
def test_every_change_to_the_odk_clients_submission_is_refused(change):
    private, sub = _briefcase()
    flipped = bytearray(sub.xml)
    flipped[-20] ^= 0x01
    altered = {
        "key": replace(sub, encrypted_key_b64="A" + sub.encrypted_key_b64[1:]),
        "xml": replace(sub, xml=bytes(flipped)),
        "signature": replace(sub, signature_b64="A" + (sub.signature_b64 or "")[1:]),
        "instance": replace(sub, instance_id="uuid:494cd080-3bf4-47be-b40f-c706a950d58b"),
        "form": replace(sub, form_id="another-form"),
        "drop_signature": replace(sub, signature_b64=None),
    }[change]
    with pytest.raises(SubmissionDoesNotOpen):
        open_submission(private, altered)


@pytest.mark.parametrize("mgf", ["sha256", "sha1"], ids=["collect-mgf1-sha256", "enketo-mgf1-sha1"])
def test_node_forge_submissions_open_with_either_oaep_mask(mgf):
    private, public = generate_rsa_key()
    xml = '<data id="f" version="3"><name>แคนารี่ · ကနရီ</name><meta><instanceID>uuid:1</instanceID></meta></data>'
    manifest_xml, files = node_encrypt(public, "f", "3", xml, instance_id="uuid:1", mgf=mgf)
    manifest = read_manifest(manifest_xml)
    opened = open_submission(private, _submission(manifest, files[manifest.xml_file]))
    assert opened.xml.decode() == xml


def test_media_are_decrypted_in_order_with_their_own_ivs():
    private, public = generate_rsa_key()
    photo, sound = bytes(range(256)) * 7, b"RIFF" + b"\x00" * 999
    manifest_xml, files = node_encrypt(public, "f", None, "<data id='f'/>", instance_id="uuid:2",
                                       media=[("photo.jpg", photo), ("sound.wav", sound)])
    manifest = read_manifest(manifest_xml)
    assert manifest.media_files == ("photo.jpg.enc", "sound.wav.enc")
    media = [(name, files[name]) for name in manifest.media_files]
    opened = open_submission(private, _submission(manifest, files["submission.xml.enc"], media))
    assert opened.media == (("photo.jpg", photo), ("sound.wav", sound))
    swapped = [media[1], media[0]]  # the order is part of the format: swapped, nothing opens
    with pytest.raises(SubmissionDoesNotOpen):
        open_submission(private, _submission(manifest, files["submission.xml.enc"], swapped))


def test_another_stations_key_opens_nothing():
    _, public = generate_rsa_key()
    other, _ = generate_rsa_key()
    manifest_xml, files = node_encrypt(public, "f", None, "<data id='f'/>")
    manifest = read_manifest(manifest_xml)
    with pytest.raises(SubmissionDoesNotOpen):
        open_submission(other, _submission(manifest, files["submission.xml.enc"]))


def test_a_plain_submission_is_not_a_manifest():
    from app.protocol.openrosa import OpenRosaError

    with pytest.raises(OpenRosaError) as plain:
        read_manifest(b'<data id="f"><name>x</name></data>')
    assert plain.value.key == "not_encrypted"
    with pytest.raises(OpenRosaError) as entity:
        read_manifest(b'<!DOCTYPE d [<!ENTITY e "x">]><data xmlns="http://opendatakit.org/submissions" '
                      b'encrypted="yes" id="f">&e;</data>')
    assert entity.value.key == "not_xml"
