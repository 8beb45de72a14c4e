"""Which key-derivation parameters this installation uses (tests ask for cheap ones)."""

from __future__ import annotations

from flask import current_app

from app.crypto import PRODUCTION_KDF, TEST_KDF, KdfParams


def kdf_params() -> KdfParams:
    return TEST_KDF if current_app.config["TIP"].kdf_profile == "test" else PRODUCTION_KDF
