"""Helpers for the ODK tests: the npm engines (.ci/node), Basic credentials, a submission."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

from tests.support.browser import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".ci" / "node" / "node_modules"
ENCRYPTOR = Path(__file__).resolve().parent / "odk_encrypt.mjs"


def node_modules(package: str) -> Path:
    """The npm package's folder in .ci/node (installed by .ci/run), or skip (fail in CI)."""
    found = NODE_MODULES / package
    if shutil.which("node") is None or not (found / "package.json").is_file():
        skip_or_fail(f"needs node and {found} (npm install --prefix .ci/node, as .ci/run does)")
    return found


def basic(username: str, passphrase: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{passphrase}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def node_encrypt(public_key: bytes, form_id: str, version: str | None, xml: str, *,
                 instance_id: str | None = None, mgf: str = "sha256",
                 media: list[tuple[str, bytes]] | None = None) -> tuple[bytes, dict[str, bytes]]:
    """(manifest, {file name: bytes}) made by tests/odk/odk_encrypt.mjs (node-forge)."""
    node_modules("node-forge")
    request: dict[str, Any] = {
        "publicKey": base64.b64encode(public_key).decode(), "formId": form_id, "version": version,
        "instanceId": instance_id or f"uuid:{uuid.uuid4()}", "xml": xml, "mgf": mgf,
        "media": [{"name": n, "data": base64.b64encode(d).decode()} for n, d in media or []]}
    done = subprocess.run(["node", str(ENCRYPTOR)], input=json.dumps(request), capture_output=True,
                          text=True, check=True, timeout=60, env={"TIP_NODE_MODULES": str(NODE_MODULES),
                                                                  "PATH": "/usr/bin:/bin"})
    out = json.loads(done.stdout)
    return out["manifest"].encode(), {k: base64.b64decode(v) for k, v in out["files"].items()}


def instance_xml(form_id: str, version: str, instance_id: str, groups: dict[str, dict[str, str]]) -> str:
    """A filled instance as Collect sends it: groups of leaves, then meta/instanceID."""
    from xml.sax.saxutils import escape

    body = "".join(f"<{g}>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in leaves.items()) + f"</{g}>"
                   for g, leaves in groups.items())
    return (f'<?xml version="1.0" ?><data id="{form_id}" version="{version}">{body}'
            f"<meta><instanceID>{instance_id}</instanceID></meta></data>")
