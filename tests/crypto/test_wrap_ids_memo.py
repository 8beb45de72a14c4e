"""Opening a key wrap finds its entry by the public key's id, kept per private key (an X25519
multiplication saved at every page): the memo holds ids and hashes, never a private key, and
gives what deriving the id each time gives."""

from __future__ import annotations

import pytest

from app.crypto import (
    EnvelopeError,
    generate_x25519,
    new_data_key,
    recipient_id,
    unwrap_data_key,
    wrap_data_key,
    wraps,
)


def test_the_memo_opens_what_deriving_opens_and_holds_no_private_key(make_header):
    header = make_header()
    (own, own_public), (admins, admins_public) = generate_x25519(), generate_x25519()
    data_key = new_data_key()
    wrapped = wrap_data_key(data_key, header, [own_public, admins_public])
    wraps._IDS_OF_PRIVATE.clear()
    for _ in range(2):  # the first time derives, the second uses the memo
        assert unwrap_data_key(wrapped, header, [own, admins]) == data_key
        assert unwrap_data_key(wrapped, header, [admins]) == data_key
    held = dict(wraps._IDS_OF_PRIVATE)
    assert set(held.values()) == {recipient_id(own_public), recipient_id(admins_public)}
    assert not any(key in (own, admins) or own in key or admins in key for key in held)
    # A key the set does not name still opens nothing, memo or not.
    stranger, _ = generate_x25519()
    for _ in range(2):
        with pytest.raises(EnvelopeError, match="not wrapped to any key held"):
            unwrap_data_key(wrapped, header, [stranger])
