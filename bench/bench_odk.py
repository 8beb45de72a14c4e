"""ODK Collect against the station: what a phone's requests cost, with the production KDF.

Run from the repository root:  .venv/bin/python bench/bench_odk.py [--repeat N]
(needs node and .ci/node/node_modules, as .ci/run installs them, for the encrypted submissions)

A fresh station (real commands, PRODUCTION_KDF) is served by run.py on 127.0.0.1; an
outreach account sends, over real HTTP with HTTP Basic, what Collect sends:

- the first ``GET /formList`` (a login: one derivation, the RSA key pair made, the XForm built);
- later ``GET /formList`` and ``HEAD /submission`` (the key set found in memory: no derivation);
- a wrong passphrase (one derivation, counted as a failed login);
- ``POST /submission``: distinct encrypted submissions of the default questionnaire (RSA-OAEP
  and AES-CFB opened, signature checked, answers checked, scored, written in one commit).

Prints a markdown table for docs/benchmarks.md (medians).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _station import Station, machine  # noqa: E402

from tests.odk.support import instance_xml, node_encrypt  # noqa: E402

USER, PASSPHRASE = "somchai", "outreach phone passphrase 2025"
ANSWERS = {"setup": {"q_respondent_name": "Bench"}, "consent": {"q_consent_interview": "yes"},
           "control": {"q_free_to_leave": "no", "q_violence": "yes"}}


def _auth(passphrase: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{USER}:{passphrase}".encode()).decode()}


def _timed(port: int, method: str, path: str, headers: dict[str, str],
           body: bytes | None = None) -> tuple[int, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    reply = conn.getresponse()
    data = reply.read()
    seconds = time.perf_counter() - start
    conn.close()
    return reply.status, data, seconds * 1000


def _multipart(manifest: bytes, files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for field, name, blob in [("xml_submission_file", "submission.xml", manifest),
                              *((n, n, b) for n, b in files.items())]:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                  "Content-Type: application/octet-stream\r\n\r\n".encode() + blob + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    rows: list[tuple[str, list[float]]] = []
    with Station(kdf="production") as station:
        station.init()
        station.create_user(USER, PASSPHRASE, role="outreach")
        station.start()
        port, right = station.port, _auth(PASSPHRASE)
        status, listing, first = _timed(port, "GET", "/formList", right)
        assert status == 200, listing
        rows.append(("first GET /formList (login, RSA key made, XForm built)", [first]))
        rows.append(("GET /formList, key set in memory",
                     [_timed(port, "GET", "/formList", right)[2] for _ in range(args.repeat)]))
        rows.append(("HEAD /submission, key set in memory",
                     [_timed(port, "HEAD", "/submission", right)[2] for _ in range(args.repeat)]))
        url = re.search(rb"<downloadUrl>[^<]*?(/forms/[^<]+)</downloadUrl>", listing).group(1).decode()
        status, form, _ = _timed(port, "GET", url, right)
        public = base64.b64decode(re.search(rb'base64RsaPublicKey="([^"]+)"', form).group(1))
        form_id, version = url.split("/")[2:4]
        bodies = []
        for _ in range(args.repeat):
            instance_id = f"uuid:{uuid.uuid4()}"
            xml = instance_xml(form_id, version, instance_id, ANSWERS)
            bodies.append(_multipart(*node_encrypt(public, form_id, version, xml, instance_id=instance_id)))
        sent = []
        for body, content_type in bodies:
            status, answer, ms = _timed(port, "POST", "/submission",
                                        {**right, "Content-Type": content_type}, body)
            assert status == 201, answer
            sent.append(ms)
        rows.append(("POST /submission (decrypt, check, score, one commit)", sent))
        resend = [_timed(port, "POST", "/submission", {**right, "Content-Type": bodies[0][1]},
                         bodies[0][0])[2] for _ in range(args.repeat)]
        rows.append(("POST /submission, the same again (recognised, nothing decrypted)", resend))
        wrong = [_timed(port, "GET", "/formList", _auth(f"wrong {n} {PASSPHRASE}"))[2] for n in range(3)]
        rows.append(("GET /formList, wrong passphrase (one derivation)", wrong))
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"\n{args.repeat} runs each (3 for the wrong passphrase, 1 for the first request); "
          f"load average at the end {load}\n")
    print("| what | median ms | min ms | max ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in rows:
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")


if __name__ == "__main__":
    main()
