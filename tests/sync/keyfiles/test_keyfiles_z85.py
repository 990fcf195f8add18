"""Z85 of CURVE keys without zmq (`sync.keyfiles._z85`): byte-identical to zmq's, and bad input
is a `KeyFormatError` (moved here from tests/provisioning/test_provisioning_keys.py with the
module)."""

import pytest
from zmq.utils import z85

from sync.errors import KeyFormatError
from sync.keyfiles import _z85


def test_z85_matches_zmq():
    for raw in (bytes(32), bytes(range(32)), b"\xff" * 32):
        assert _z85.encode(raw) == z85.encode(raw)
        assert _z85.decode(_z85.encode(raw)) == raw


@pytest.mark.parametrize("bad", [b"abc", b"abcd\x00", b"abcd~", b"%%%%%", b"\xff\xff\xff\xff\xff"])
def test_z85_decode_refuses_bad_input(bad):
    with pytest.raises(KeyFormatError):
        _z85.decode(bad)


def test_z85_encode_refuses_odd_length():
    with pytest.raises(KeyFormatError):
        _z85.encode(b"abc")
