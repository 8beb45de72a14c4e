"""Partner case workers: staff of a directory organisation, with accounts at central.

Each organisation that has case workers has its own X25519 key pair (``organisation_keys``),
made when an administrator makes its first case worker. Its private half is in each of its
case workers' key slots (under their passphrase, like every slot) and, wrapped with central's
custody key, in its row, so that an administrator (whose slot opens the custody key) can give
it to a later case worker or set a new passphrase without a case worker at hand. A referral's
shared part is sealed to the public half: a case worker's login opens it with their slot, never
with central's record key (services/central/cases.py; docs/keys.md, "Organisation keys").
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.crypto import CryptoError, aead_decrypt, aead_encrypt, generate_x25519, key_id, x25519_public_key
from app.extensions import db
from app.models import OrganisationKey, User
from app.protocol.directory import Organisation
from app.roles import Role
from app.services import accounts
from app.services.central import audit
from app.services.central import directory as central_directory
from app.services.errors import Locked, NotFound, ValidationFailed

_WRAP_AAD = b"tip-screen/v1/organisation-key:"  # || the organisation's id


def key_of(org_id: str) -> OrganisationKey | None:
    return db.session.get(OrganisationKey, org_id)


def _unwrap(custody: bytes, row: OrganisationKey) -> bytes:
    try:
        return aead_decrypt(custody, row.wrapped_private, _WRAP_AAD + row.organisation_id.encode())
    except CryptoError:
        raise Locked(_l("Central's keys are not open in this session. Log out and in again with your "
                        "passphrase. Nothing was saved.")) from None


def _key_for_new_worker(custody: bytes, org: Organisation, username: str) -> tuple[bytes, str]:
    """The organisation's private key and key id; made (and audited) for its first case worker."""
    row = key_of(org.id)
    if row is not None:
        return _unwrap(custody, row), row.key_id
    private, public = generate_x25519()
    row = OrganisationKey(organisation_id=org.id, key_id=key_id(public), public_key=public,
                          wrapped_private=aead_encrypt(custody, private, _WRAP_AAD + org.id.encode()))
    db.session.add(row)
    audit.record(username, audit.ORGANISATION_KEY, detail=f"{org.id}: key {row.key_id}")
    return private, row.key_id


def _check_custody(custody: bytes | None) -> bytes:
    if custody is None:
        raise Locked(_l("Central's keys are not open in this session. Log out and in again with your "
                        "passphrase. Nothing was saved."))
    return custody


def create_case_worker(custody: bytes | None, org_id: str, username: str, passphrase: str, *,
                       actor: str) -> User:
    """A partner case worker of ``org_id`` (an active directory organisation)."""
    org = central_directory.organisation(org_id)
    if org.retired:
        raise ValidationFailed(_l("%(name)s is retired: it gets no new case workers.",
                                  name=org.name.get("en")))
    problems = accounts.check_new_account(accounts.normalize_username(username), passphrase)
    if problems:
        raise ValidationFailed(problems[0])
    if accounts.find_user(username) is not None:
        raise ValidationFailed(_l("The username %(name)s is already taken.",
                                  name=accounts.normalize_username(username)))
    private, ident = _key_for_new_worker(_check_custody(custody), org, actor)
    return accounts.create_user(username, Role.PARTNER, passphrase, secret=None, actor=actor,
                                organisation=(org.id, private, ident))


def reset_case_worker(custody: bytes | None, user: User, passphrase: str, *, actor: str) -> None:
    row = key_of(user.organisation_id or "") if user.role is Role.PARTNER else None
    if row is None:
        raise NotFound(_l("No such case worker."))
    private = _unwrap(_check_custody(custody), row)
    accounts.reset_passphrase(user, passphrase, secret=None, actor=actor,
                              organisation_key=(private, row.key_id))


def case_workers(org_id: str) -> list[User]:
    query = sa.select(User).where(User.role == Role.PARTNER, User.organisation_id == org_id)
    return list(db.session.scalars(query.order_by(User.username)))


def case_worker(user_id: int, org_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role is not Role.PARTNER or user.organisation_id != org_id:
        raise NotFound(_l("No such case worker."))
    return user


def organisation_private(user: User, secret: bytes | None) -> bytes:
    """What a case worker's session holds: their organisation's private key, checked against it."""
    row = key_of(user.organisation_id or "") if user.role is Role.PARTNER else None
    if row is None or secret is None or len(secret) != 32 or x25519_public_key(secret) != row.public_key:
        raise Locked(_l("Your organisation's key is not open in this session. Log out and in again."))
    return secret
