"""Stage 2 of verify, in the main process: judge the examined rows in log order.

Per stream: versions 1, 2, 3… and each ``prev`` naming the previous envelope. Per event: the
signing key must be registered by the root key earlier in the log, held by the actor the body
names, in a role that may record the action, valid at the recorded time and not revoked.

The root key's self-registration (the keys stream's version 1) counts only if its key id is one
the caller trusts (``trusted_roots``; None trusts the ledger's own, which is not independent).
A registration counts only if it verified itself, its ``registered_key_id`` is the SHA-256 of
its public key and that key id was not registered before.

Root rotation. A ``RootKeyRotated`` event, signed by a root key, counts under the same
conditions and only if its ``new_root_signature`` verifies: the new key's signature over the
rotation message (:func:`~offerledger.signing.keys.rotation_message`: this event's ``prev``,
the old and the new key id). From the next event on the new key is a root key and the old one
is revoked; the trusted root stays the ledger's first (:attr:`Judge.root_key_id`), and
:attr:`Judge.roots` lists it and every root it was rotated to, in log order.

Revocation. Log order alone is not enough: an attacker with write access can move a
revocation row to the end of the log. So an event signed by a revoked key is also flagged when
its position is at or after the revocation's signed ``from_position`` (the event count when it
was made) or its recorded time is at or after the revocation's own recorded time, wherever the
revocation row is found. Events judged before the revocation is seen are remembered only for
keys that some revocation row names (``watched``), so memory stays bounded by streams and keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from offerledger.errors import OfferLedgerError
from offerledger.events import key_valid_at, recorded_problems, role_may_record
from offerledger.integrity.examine import UNREAD, Examined, KeyFact
from offerledger.integrity.problems import Problem
from offerledger.signing.keys import key_id_for, rotation_message, verify_signature

__all__ = ["Judge"]


@dataclass
class _Key:
    key_id: str
    holder: str
    role: str
    valid_from: datetime
    valid_until: datetime | None
    revoked: bool = False
    compromised_since: datetime | None = None


@dataclass(frozen=True)
class _Revocation:
    key: _Key
    from_position: int | None
    recorded: datetime
    compromised_since: datetime | None


class Judge:
    """Judges examined rows in log order; :meth:`finish` once after the last one."""

    def __init__(
        self, *, trusted_roots: frozenset[str] | None, watched: frozenset[str] | None = None
    ) -> None:
        self.trusted_roots = trusted_roots
        self.watched = watched  # None: remember every event (no list of revoked keys given)
        self.keys: dict[str, _Key] = {}
        self.heads: dict[str, tuple[int, str]] = {}
        self.problems: list[Problem] = []
        self.root_key_id: str | None = None
        self.roots: list[str] = []  # the first root, then each root a rotation made
        # the recorded time of the event before in log order; ``order_checked`` False while the
        # judge is fed events that are not consecutive (verify --since: the keys before it)
        self.previous_recorded: datetime | None = None
        self.order_checked = True
        self._unrevoked: dict[str, list[tuple[int, str | None, int | None, datetime]]] = {}
        self._revocations: list[_Revocation] = []

    def flag(self, e: Examined, reason: str, detail: str) -> None:
        last = self.problems[-1] if self.problems else None
        if last is not None and last.position == e.position and last.reason == reason:
            self.problems[-1] = Problem(
                e.position, e.stream, e.version, reason, f"{last.detail}; {detail}"
            )
            return
        self.problems.append(Problem(e.position, e.stream, e.version, reason, detail))

    def judge(self, e: Examined) -> None:
        self._stream_checks(e)
        before = len(self.problems)
        for reason, detail in e.problems:
            self.flag(e, reason, detail)
        if e.key_id is not None:
            self._key_checks(e)
            if e.key_fact is not None and len(self.problems) == before:
                self._apply_key_event(e, e.key_fact)
        self._time_checks(e)  # after: a key event with a wrong time still registers its key

    def _stream_checks(self, e: Examined) -> None:
        if e.stream is None or e.version is None:
            return  # the row's columns place it in no stream (already flagged undecodable)
        last = self.heads.get(e.stream)
        expected = 1 if last is None else last[0] + 1
        if e.version != expected:
            self.flag(e, "version-gap", f"expected version {expected}, found {e.version}")
        if e.prev != UNREAD and e.prev != (last[1] if last else None):
            self.flag(e, "chain-break", "prev does not name the previous event's envelope")
        self.heads[e.stream] = (e.version, e.envelope_hash)

    def _time_checks(self, e: Examined) -> None:
        """Recorded time is the clock at recording: never before the instant the event records
        (its effective time, ``received_at``, ``sent_at``), never before the event before it."""
        if e.recorded is None:
            return  # flagged undecodable by the key checks
        previous = self.previous_recorded if self.order_checked else None
        for reason, detail in recorded_problems(e.recorded, e.floor, previous):
            self.flag(e, reason, detail)
        self.previous_recorded = e.recorded

    def _key_checks(self, e: Examined) -> None:
        fact = e.key_fact
        if (
            not self.keys
            and fact is not None
            and fact.action == "KeyRegistered"
            and fact.role == "root"
            and fact.named_key_id == e.key_id
            and e.version == 1
        ):
            self._root_registration(e, fact)
            return
        key = self.keys.get(e.key_id or "")
        if key is None or e.signature == "no-key":
            self.flag(e, "unknown-key", f"key {(e.key_id or '')[:16]}… is not registered here")
            return
        if e.actor != key.holder:
            self.flag(
                e, "unknown-key", f"key belongs to {key.holder}; the body names actor {e.actor}"
            )
        if not role_may_record(role=key.role, action=e.action):
            self.flag(e, "wrong-role", f"role {key.role} may not record {e.action}")
        if e.recorded is None:
            self.flag(e, "undecodable", "the recorded time does not parse")
            return
        why = key_valid_at(
            recorded=e.recorded,
            valid_from=key.valid_from,
            valid_until=key.valid_until,
            revoked=key.revoked,
            compromised_since=key.compromised_since,
        )
        if why:
            self.flag(e, why, f"key {key.key_id[:16]}… ({key.holder})")
        if not key.revoked and (self.watched is None or key.key_id in self.watched):
            self._unrevoked.setdefault(key.key_id, []).append(
                (e.position, e.stream, e.version, e.recorded)
            )

    def _root_registration(self, e: Examined, fact: KeyFact) -> None:
        pub = fact.public_key
        if pub is None or key_id_for(public_key=pub) != e.key_id:
            self.flag(e, "unknown-key", "the root key's registration names another key")
        elif self.trusted_roots is not None and e.key_id not in self.trusted_roots:
            self.flag(
                e, "unknown-key", f"the ledger's root key {e.key_id} is not the trusted root key"
            )
        elif e.actor != fact.holder:
            self.flag(
                e, "unknown-key", f"key belongs to {fact.holder}; the body names actor {e.actor}"
            )

    def _apply_key_event(self, e: Examined, fact: KeyFact) -> None:
        if fact.malformed is not None:
            self.flag(e, "undecodable", f"{fact.action} with unreadable {fact.malformed}")
            return
        if fact.action == "KeyRevoked":
            self._revoke(e, fact)
            return
        if fact.action == "RootKeyRotated" and not self._countersigned(e, fact):
            return
        assert fact.public_key is not None and fact.valid_from is not None
        assert fact.holder is not None and fact.role is not None
        kid = key_id_for(public_key=fact.public_key)
        if fact.named_key_id != kid:
            self.flag(
                e,
                "unknown-key",
                f"the registration names key id "
                f"{(fact.named_key_id or '')[:16]}… but its public key hashes to "
                f"{kid[:16]}…; ignored",
            )
            return
        if kid in self.keys:
            self.flag(
                e,
                "unknown-key",
                f"key {kid[:16]}… is already registered; the re-registration is ignored",
            )
            return
        if not self.keys:
            self.root_key_id = kid
        if not self.keys or fact.action == "RootKeyRotated":
            self.roots.append(kid)
        if fact.action == "RootKeyRotated":
            self.keys[e.key_id or ""].revoked = True  # the old root signs nothing after this
        self.keys[kid] = _Key(kid, fact.holder, fact.role, fact.valid_from, fact.valid_until)

    def _countersigned(self, e: Examined, fact: KeyFact) -> bool:
        """Whether the new root's signature of the rotation message verifies (else flagged)."""
        try:
            message = rotation_message(
                prev=e.prev or "", old_key_id=e.key_id or "", new_key_id=fact.named_key_id or ""
            )
            verify_signature(
                public_key=fact.public_key or b"",
                message=message,
                signature=fact.countersignature or b"",
            )
        except (ValueError, OfferLedgerError):
            self.flag(
                e,
                "bad-signature",
                "the new root's countersignature of the rotation does not verify; ignored",
            )
            return False
        return True

    def _revoke(self, e: Examined, fact: KeyFact) -> None:
        key = self.keys.get(fact.named_key_id or "")
        if key is None or key.revoked or e.recorded is None:
            return  # a revocation of no registered key, or a repeated one, changes nothing
        key.revoked = True
        key.compromised_since = fact.compromised_since
        self._revocations.append(
            _Revocation(key, fact.from_position, e.recorded, fact.compromised_since)
        )

    def finish(self) -> None:
        """Flag events found before their key's revocation in the log that it still covers."""
        for rev in self._revocations:
            key = rev.key
            for position, stream, version, recorded in self._unrevoked.get(key.key_id, []):
                if rev.from_position is not None and position >= rev.from_position:
                    why = f"at or after position {rev.from_position}, where it was revoked"
                elif recorded >= rev.recorded:
                    why = "recorded at or after its revocation was recorded"
                elif rev.compromised_since is not None and recorded >= rev.compromised_since:
                    why = "recorded after it was compromised"
                else:
                    continue
                self.problems.append(
                    Problem(
                        position,
                        stream,
                        version,
                        "revoked-key",
                        f"key {key.key_id[:16]}… ({key.holder}) signed it {why}",
                    )
                )
