"""Command-line interface (``flask --app app ...``): every setup step a page offers, for scripts."""

from __future__ import annotations

from flask import Flask

from app.cli.audit_commands import audit_group
from app.cli.key_commands import keys_group
from app.cli.questionnaire_commands import questionnaire_group
from app.cli.record_commands import demo_data_command
from app.cli.setup_commands import init_command
from app.cli.sync_commands import bundle_group, enrol_command, stations_group, status_command, sync_command
from app.cli.user_commands import users_group


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(users_group)
    app.cli.add_command(questionnaire_group)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(keys_group)
    for command in (stations_group, enrol_command, sync_command, bundle_group, status_command, audit_group):
        app.cli.add_command(command)
