"""Command-line interface (``flask --app app ...``): every setup step a page offers, for scripts."""

from __future__ import annotations

import functools
from typing import Any

import click
from flask import Flask

from app.cli.audit_commands import audit_group
from app.cli.dashboard_commands import dashboard_command
from app.cli.directory_commands import directory_group
from app.cli.export_commands import export_command
from app.cli.facts_commands import facts_group
from app.cli.key_commands import keys_group
from app.cli.questionnaire_commands import questionnaire_group
from app.cli.record_commands import demo_data_command
from app.cli.referral_commands import referral_group
from app.cli.setup_commands import init_command
from app.cli.sync_commands import bundle_group, enrol_command, stations_group, status_command, sync_command
from app.cli.user_commands import users_group


def _plain_when_disk_full(command: click.Command) -> None:
    """Every command (and every command of a group): a full disk ends it with the plain
    message and exit status 1, not a traceback; the transaction is rolled back first."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _plain_when_disk_full(sub)
    callback = command.callback
    if callback is None or getattr(callback, "_tip_disk_full", False):
        return

    @functools.wraps(callback)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from app.extensions import db
        from app.services.errors import DISK_FULL_TEXT, is_disk_full

        try:
            return callback(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            db.session.rollback()
            raise click.ClickException(str(DISK_FULL_TEXT)) from None

    wrapped._tip_disk_full = True  # type: ignore[attr-defined]
    command.callback = wrapped


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(users_group)
    app.cli.add_command(questionnaire_group)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(keys_group)
    app.cli.add_command(facts_group)
    app.cli.add_command(dashboard_command)
    app.cli.add_command(directory_group)
    app.cli.add_command(export_command)
    app.cli.add_command(referral_group)
    for command in (stations_group, enrol_command, sync_command, bundle_group, status_command, audit_group):
        app.cli.add_command(command)
    _plain_when_disk_full(app.cli)
