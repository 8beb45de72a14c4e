"""OpenRosa on the wire: the form list, the submission manifest, the answers Collect reads.

Plain functions over bytes and strings (docs/odk.md). Untrusted XML is read with
``defusedxml`` (no entities, no external references), after a size check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree.ElementTree import Element  # noqa: S405 - only to build and type trees, never to parse
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeTree

OPENROSA_VERSION = "1.0"
XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
RESPONSE_NS = "http://openrosa.org/http/response"
SUBMISSIONS_NS = "http://opendatakit.org/submissions"
ORX_NS = "http://openrosa.org/xforms"
MAX_MANIFEST = 64 * 1024


class OpenRosaError(ValueError):
    """A submission that is not what OpenRosa and ODK's encryption describe; ``key`` says what."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class ListedForm:
    form_id: str
    name: str
    version: str
    md5_hex: str
    download_url: str


def form_list(forms: Iterable[ListedForm]) -> bytes:
    """The OpenRosa ``xformsList`` document (``/formList``)."""
    items = []
    for f in forms:
        items.append(
            "<xform>"
            f"<formID>{escape(f.form_id)}</formID>"
            f"<name>{escape(f.name)}</name>"
            f"<version>{escape(f.version)}</version>"
            f"<hash>md5:{escape(f.md5_hex)}</hash>"
            f"<downloadUrl>{escape(f.download_url)}</downloadUrl>"
            "</xform>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<xforms xmlns="{XFORMS_LIST_NS}">'
            + "".join(items) + "</xforms>").encode()


def response(message: str, *, nature: str = "") -> bytes:
    """An ``OpenRosaResponse``: Collect shows ``message`` to the person holding the phone."""
    attr = f' nature="{escape(nature)}"' if nature else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<OpenRosaResponse xmlns="{RESPONSE_NS}">'
            f"<message{attr}>{escape(message)}</message></OpenRosaResponse>").encode()


@dataclass(frozen=True)
class Manifest:
    """An encrypted submission's manifest (the ``xml_submission_file`` part)."""

    form_id: str
    version: str | None
    instance_id: str
    encrypted_key_b64: str
    xml_file: str
    media_files: tuple[str, ...]
    signature_b64: str | None


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def parse_xml(data: bytes, *, limit: int) -> Element:
    """Untrusted XML as a tree: size first, then ``defusedxml`` (no DTD, no entities)."""
    if len(data) > limit:
        raise OpenRosaError("too_large")
    try:
        root: Element = SafeTree.fromstring(data, forbid_dtd=True)
    except Exception:  # noqa: BLE001 - expat, defusedxml and encoding errors all mean "not XML"
        raise OpenRosaError("not_xml") from None
    return root


def read_manifest(data: bytes) -> Manifest:
    """The manifest, or :class:`OpenRosaError`: ``not_encrypted`` for a plain submission
    (refused: the station takes only submissions encrypted on the phone)."""
    root = parse_xml(data, limit=MAX_MANIFEST)
    ns, name = _local(root.tag)
    if root.get("encrypted") != "yes" or ns != SUBMISSIONS_NS or name != "data":
        raise OpenRosaError("not_encrypted")
    form_id = root.get("id", "").strip()
    version = root.get("version")
    key = xml_file = signature = ""
    instance_id = ""
    media: list[str] = []
    for child in root.iter():
        cns, cname = _local(child.tag)
        if cns == SUBMISSIONS_NS and cname == "base64EncryptedKey":
            key = _text(child)
        elif cns == SUBMISSIONS_NS and cname == "encryptedXmlFile":
            xml_file = _text(child)
        elif cns == SUBMISSIONS_NS and cname == "base64EncryptedElementSignature":
            signature = _text(child)
        elif cns == SUBMISSIONS_NS and cname == "file":
            media.append(_text(child))
        elif cns in (ORX_NS, ORX_NS + "/") and cname == "instanceID":
            instance_id = _text(child)
    if not (form_id and key and xml_file and instance_id) or any(not m for m in media):
        raise OpenRosaError("incomplete_manifest")
    if len(set(media + [xml_file])) != len(media) + 1:
        raise OpenRosaError("incomplete_manifest")
    return Manifest(form_id=form_id, version=version.strip() if version else None,
                    instance_id=instance_id, encrypted_key_b64=key, xml_file=xml_file,
                    media_files=tuple(media), signature_b64=signature or None)


@dataclass(frozen=True)
class Instance:
    """A decrypted XForm instance: its form, version, instance id and leaf values by name."""

    form_id: str
    version: str | None
    instance_id: str
    values: dict[str, str]  # element local name -> text, for every leaf that has text


def read_instance(xml: bytes, *, limit: int = 4 * 1024 * 1024) -> Instance:
    """The answers in a decrypted instance. Leaves are keyed by their element's local name
    (question ids are unique in a definition, whatever group holds them); a name seen twice
    (a repeat) is refused, since no tip-screen questionnaire has repeats."""
    root = parse_xml(xml, limit=limit)
    values: dict[str, str] = {}
    instance_id = ""
    for element in root.iter():
        if element is root or len(element):
            continue
        ns, name = _local(element.tag)
        if ns in (ORX_NS, ORX_NS + "/") or name in ("instanceID", "deprecatedID", "instanceName"):
            if name == "instanceID":
                instance_id = _text(element)
            continue
        if name in values:
            raise OpenRosaError("repeated_element")
        text = element.text or ""
        if text.strip():
            values[name] = text.strip()
    return Instance(form_id=root.get("id", ""), version=root.get("version"),
                    instance_id=instance_id, values=values)
