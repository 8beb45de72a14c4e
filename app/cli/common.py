from __future__ import annotations

import sys

import click


def read_passphrase(from_stdin: bool) -> str:
    """One line from stdin (for scripts) or a hidden prompt (for people)."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("--password-stdin given but nothing was read from stdin")
        return line.rstrip("\r\n")
    return str(click.prompt("Passphrase", hide_input=True, confirmation_prompt=True))
