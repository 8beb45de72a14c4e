"""What a template needs to make a page live (templates/central/_live.html)."""

from __future__ import annotations

from app.services.central import live as central_live

# How often an open live page asks whether it is out of date (the question is cheap).
POLL_MILLISECONDS = 4000


def live_helpers() -> dict[str, object]:
    return {"live_version": central_live.version, "live_poll_ms": POLL_MILLISECONDS}
