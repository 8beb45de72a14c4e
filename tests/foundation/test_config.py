from __future__ import annotations

import pytest

from app.config import CONFIG_NAME, SQLITE_NAME, ConfigError, load_config


def test_first_run_creates_a_private_config(tmp_path):
    instance = tmp_path / "instance"
    config = load_config(instance)
    path = instance / CONFIG_NAME
    assert path.exists()
    assert path.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert config.role == "station" and len(config.secret_key) >= 32
    assert load_config(instance).secret_key == config.secret_key  # stable across runs


@pytest.mark.parametrize("text, words", [
    ("role = 'station'\nsecret_key = [", "cannot be read"),
    ("role = 'king'\nsecret_key = '" + "x" * 40 + "'", "role must be one of"),
    ("secret_key = 'short'", "at least 32"),
    ("secret_key = '" + "x" * 40 + "'\nidle_timeout_minutes = 'soon'", "must be a int"),
    ("secret_key = '" + "x" * 40 + "'\ncolour = 'blue'", "unknown setting"),
    ("role = 'station'", "secret_key is missing"),
])
def test_bad_config_is_a_clear_error_and_is_left_alone(tmp_path, text, words):
    (tmp_path / CONFIG_NAME).write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_config(tmp_path)
    assert (tmp_path / CONFIG_NAME).read_text() == text


def test_missing_config_next_to_a_database_is_an_error(tmp_path):
    (tmp_path / SQLITE_NAME).write_bytes(b"")
    with pytest.raises(ConfigError, match="Restore config.toml"):
        load_config(tmp_path)
    assert not (tmp_path / CONFIG_NAME).exists()


def test_database_url_from_environment(tmp_path, monkeypatch):
    load_config(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1/db")
    assert load_config(tmp_path).sqlalchemy_url == "postgresql+psycopg://u@127.0.0.1/db"
