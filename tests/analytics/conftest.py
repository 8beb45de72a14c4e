from tests.central.conftest import as_role, central_app, central_users  # noqa: F401  (fixtures)
