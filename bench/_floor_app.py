"""The floor for bench_screening.py: a minimal Flask page served by waitress with the
station's thread count, so a station page's CPU can be given as a multiple of what the
framework and the server cost on their own, measured in the same run.

    python bench/_floor_app.py PORT THREADS
"""

from __future__ import annotations

import sys

from flask import Flask
from waitress import serve

app = Flask(__name__)


@app.get("/")
def page() -> str:
    return "<!doctype html><html lang=\"en\"><title>floor</title><p>Hello from Flask.</p></html>"


if __name__ == "__main__":
    serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]), ident="floor")
