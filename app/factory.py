"""The Flask app: config, extensions, blueprints, logging (``app.create_app`` calls this)."""

from __future__ import annotations

import logging
import sys

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import i18n
from app.config import PROJECT_ROOT, Config, ConfigError, load_config
from app.extensions import babel, csrf, db, migrate

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(config: Config | None = None) -> Flask:
    """Build the app from typed config (read from ./instance when none is given)."""
    if config is None:
        try:
            config = load_config()
        except ConfigError as exc:
            # Reached from the command line (flask --app app, run.py): say what is wrong, plainly.
            print(f"tip-screen: {exc}", file=sys.stderr)
            raise SystemExit(2) from None

    app = Flask(__name__, instance_path=str(config.instance_path), instance_relative_config=True)
    app.config.update(
        TIP=config,
        TESTING=config.testing,
        SECRET_KEY=config.secret_key,
        SQLALCHEMY_DATABASE_URI=config.sqlalchemy_url,
        # Errors must never quote the values of a statement: they may be personal data. No ping
        # before each use (a round trip per request): a connection the server ended is found
        # by its socket at checkout (extensions._drop_dead_connections), and one opened over half
        # an hour ago is replaced at checkout (a firewall may drop a connection without a word).
        SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": True, "pool_recycle": 1800},
        SESSION_COOKIE_NAME="tip_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.tls,
        # The login session governs how long a form stays valid, not a separate clock.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        # Phones on the station's network keep CSS, JS and fonts for an hour between pages.
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT_LOCALE,
        BABEL_TRANSLATION_DIRECTORIES=str(i18n.TRANSLATIONS_DIR),
    )
    _configure_logging(app)
    if config.trusted_proxies:
        # Only then is a forwarded client address believed (login throttling counts by it).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=config.trusted_proxies)

    from app import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    # Access is checked before CSRF, so a forbidden route is a 403 whatever was posted.
    from app.services.accounts import keyring
    from app.web import access, chrome, errors, headers

    keyring.init_app(app)
    access.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    headers.init_app(app)
    chrome.init_app(app)
    errors.init_app(app)
    _register_blueprints(app, config.role)

    from app.cli import register_commands

    register_commands(app)
    return app


def _register_blueprints(app: Flask, role: str) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.central import bp as central_bp
    from app.main import bp as main_bp
    from app.odk import bp as odk_bp
    from app.screening import bp as screening_bp
    from app.setup import bp as setup_bp
    from app.sync import bp as sync_bp

    for bp in (main_bp, auth_bp, setup_bp, admin_bp):
        app.register_blueprint(bp)
    if role == "station":
        app.register_blueprint(screening_bp)
        app.register_blueprint(sync_bp)
        csrf.exempt(odk_bp)  # phones send HTTP Basic credentials with each request, no cookie
        app.register_blueprint(odk_bp)
    else:
        csrf.exempt(api_bp)  # machine clients sign each request instead
        # The upload form checks its own CSRF token, after raising the size limit for bundles.
        csrf.exempt("app.central.routes.import_bundle")
        app.register_blueprint(api_bp)
        app.register_blueprint(central_bp)
        # Account actions (create, switch off, reset, lock all) are written to central's audit log.
        from app.services.central import audit

        audit.init_app(app)


def _configure_logging(app: Flask) -> None:
    # One plain format; request data is never logged (see app/web/errors.py).
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.logger.setLevel(logging.INFO)
