"""People and their keys. The package is the API for accounts (``accounts.create_user(...)``);
the other modules are imported by name:

- :mod:`.users`              create, authenticate (throttled), reset, switch off, language, display name
- :mod:`.passphrase_policy`  length and well-known passwords
- :mod:`.sessions`           server-side login sessions
- :mod:`.keyring`            key slots on disk, unlocked keys in memory only
- :mod:`.kdf`                which key-derivation parameters this installation uses
"""

from app.services.accounts.users import (
    LOCAL_OPERATOR,
    Login,
    authenticate,
    check_new_account,
    create_user,
    find_user,
    first_admin_name,
    get_user,
    list_users,
    normalize_username,
    reset_passphrase,
    set_active,
    set_display_name,
    set_locale,
)

__all__ = ["LOCAL_OPERATOR", "Login", "authenticate", "check_new_account", "create_user", "find_user",
           "first_admin_name", "get_user", "list_users", "normalize_username", "reset_passphrase",
           "set_active", "set_display_name", "set_locale"]
