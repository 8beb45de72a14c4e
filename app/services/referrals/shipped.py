"""The shipped referral directory file (see the package's docstring for the signed one).

The station has two sources. The directory central signed (:mod:`.stored`, pulled or carried on a file):
its organisations are the "Refer to" question's options and its hotline organisations the
slip's hotlines. And the shipped file, ``directory.yaml`` beside this module (or a
station's own ``instance/directory.yaml`` in its place, same format): the safety advice for
the receiving worker always, the hotlines of a station that never took a signed directory,
and the organisation behind each of the questionnaire's own "Refer to" choices (which old
records name). The shipped file is read once per app; one that does not fit the format is
refused with a message naming the file and the entry, and no slip is printed from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.languages import CODES
from app.questionnaire import LocalText
from app.services.errors import ServiceError

SHIPPED = Path(__file__).with_name("directory.yaml")
INSTANCE_NAME = "directory.yaml"


class DirectoryError(ServiceError):
    """The directory file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Hotline:
    number: str
    name: LocalText


@dataclass(frozen=True)
class Organisation:
    referral: str  # the q_referral_to option this organisation receives
    name: LocalText
    contact: str  # phone or address as written; "" when the station has not given one


@dataclass(frozen=True)
class ShippedDirectory:
    path: Path
    hotlines: tuple[Hotline, ...]
    organisations: tuple[Organisation, ...]
    handover_advice: tuple[LocalText, ...]


def _text(value: object, where: str) -> LocalText:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: a text in every language ({', '.join(CODES)}) is needed")
    missing = [code for code in CODES if not isinstance(value.get(code), str) or not value[code].strip()]
    if missing:
        raise ValueError(f"{where}: no text in {', '.join(missing)}")
    return LocalText({code: value[code].strip() for code in CODES})


def _entries(data: dict[str, Any], key: str) -> list[Any]:
    entries = data.get(key, [])
    if not isinstance(entries, list):
        raise ValueError(f"{key}: a list is needed")
    return entries


def _item(entry: object, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: an entry with names is needed")
    return entry


def parse(text: str, path: Path) -> ShippedDirectory:
    """A directory from the YAML text of ``path``; ValueError says what does not fit."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("the file is not a mapping of hotlines, organisations and handover_advice")
    unknown = sorted(set(data) - {"hotlines", "organisations", "handover_advice"})
    if unknown:
        raise ValueError(f"unknown section(s): {', '.join(map(str, unknown))}")
    hotlines = []
    for n, entry in enumerate(_entries(data, "hotlines")):
        item = _item(entry, f"hotlines[{n}]")
        number = str(item.get("number", "")).strip()
        if not number:
            raise ValueError(f"hotlines[{n}]: number is missing")
        hotlines.append(Hotline(number, _text(item.get("name"), f"hotlines[{n}].name")))
    organisations: list[Organisation] = []
    for n, entry in enumerate(_entries(data, "organisations")):
        item = _item(entry, f"organisations[{n}]")
        referral = str(item.get("referral", "")).strip()
        if not referral:
            raise ValueError(f"organisations[{n}]: referral (the q_referral_to choice) is missing")
        if any(o.referral == referral for o in organisations):
            raise ValueError(f"organisations[{n}]: a second organisation for {referral!r}")
        organisations.append(Organisation(referral, _text(item.get("name"), f"organisations[{n}].name"),
                                          str(item.get("contact") or "").strip()))
    advice = tuple(_text(a, f"handover_advice[{n}]") for n, a in enumerate(_entries(data, "handover_advice")))
    return ShippedDirectory(path, tuple(hotlines), tuple(organisations), advice)


def path_in_use(instance_path: Path) -> Path:
    own = instance_path / INSTANCE_NAME
    return own if own.exists() else SHIPPED


def shipped() -> ShippedDirectory:
    """The shipped (or the station's own) directory file (read once per app)."""
    cached: ShippedDirectory | None = current_app.extensions.get("tip_directory")
    if cached is None:
        path = path_in_use(Path(current_app.instance_path))
        try:
            cached = parse(path.read_text(encoding="utf-8"), path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
            raise DirectoryError(_l("The referral directory %(path)s cannot be used: %(problem)s",
                                    path=str(path), problem=str(exc))) from None
        current_app.extensions["tip_directory"] = cached
    return cached
