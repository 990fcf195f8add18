"""オンライン窓口, central side: the specialist console (a Flask app), staff accounts with roles
and scrypt-hashed passwords, consultation records and the signaling relay.

The relay's terminal side is the receiver's online-request kind `consult` (`relay`), so only an
enrolled, unrevoked terminal can signal; its console side is the web app (`app`). Both read and
write the store's consult tables (migration 0006_consult_tables). Only SDP and control messages
cross the central side, and they are deleted when the call ends; media and chat go peer to peer.
See docs/consultation.md.
"""

from sync.central.consult.accounts import ACCEPT_ROLES, ROLES, Staff, hash_password
from sync.central.consult.relay import LANGUAGES, TOPICS, ConsultRelay, consult_handlers
from sync.central.consult.tables import Consultation, ConsultTables

__all__ = [
    "ACCEPT_ROLES",
    "LANGUAGES",
    "ROLES",
    "TOPICS",
    "ConsultRelay",
    "ConsultTables",
    "Consultation",
    "Staff",
    "consult_handlers",
    "hash_password",
]
