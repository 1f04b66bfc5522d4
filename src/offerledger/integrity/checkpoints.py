"""The checkpoints file: signed checkpoints kept outside the database, appended, never rewritten.

The file is the checkpoint notes in the order they were made, each followed by one empty line::

    <note 1>\\n<note 2>\\n…

(a note ends with its signature lines and a newline; its text lines are never empty and never
start with the signature prefix, so the file splits back into notes without ambiguity).
Appending writes the whole file anew to a temporary file beside it and renames it into place,
after checking that the file still holds, byte for byte, what was read: a crash leaves the old
file or the new one, never half a note.

A new checkpoint is appended only if the log it describes extends the last one in the file
(an RFC 9162 consistency proof from the persisted log, checked against both roots); a witness
(a second key, e.g. outside counsel's) cosigns a note by adding its signature line to it.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from offerledger.errors import CheckpointError
from offerledger.integrity.checkpoint import SIGNATURE_PREFIX, note_key_id, sign_note
from offerledger.integrity.heads import write_atomically
from offerledger.signing.keys import SigningKey

__all__ = ["CheckpointsFile", "cosign"]


@dataclass(frozen=True)
class CheckpointsFile:
    """The notes of a checkpoints file, as read (an absent file holds none)."""

    path: Path
    notes: tuple[str, ...]
    raw: bytes

    @classmethod
    def read(cls, path: Path) -> CheckpointsFile:
        try:
            raw = path.read_bytes() if path.exists() else b""
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CheckpointError(f"cannot read the checkpoints file: {e}", path=path) from e
        return cls(path, tuple(_split_notes(text, path)), raw)

    @property
    def last(self) -> str | None:
        return self.notes[-1] if self.notes else None

    def append(self, note: str) -> None:
        """Add ``note`` at the end (atomically; refused if the file changed since it was read)."""
        self._replace([*self.notes, note])

    def replace_last(self, note: str) -> None:
        """Put ``note`` in place of the last note (a cosignature added to it)."""
        if not self.notes:
            raise CheckpointError("the checkpoints file holds no checkpoint", path=self.path)
        self._replace([*self.notes[:-1], note])

    def _replace(self, notes: list[str]) -> None:
        current = self.path.read_bytes() if self.path.exists() else b""
        if current != self.raw:
            raise CheckpointError(
                "the checkpoints file changed while this command ran; nothing written",
                path=self.path,
                hint="run the command again",
            )
        write_atomically(self.path, "".join(f"{n}\n" for n in notes))
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _split_notes(text: str, path: Path) -> list[str]:
    """Notes separated by one empty line after each note's signature block."""
    notes: list[str] = []
    lines = text.split("\n")
    if text and not text.endswith("\n\n"):
        raise CheckpointError("the checkpoints file does not end with an empty line", path=path)
    current: list[str] = []
    in_signatures = False
    for number, line in enumerate(lines[:-1], start=1):
        if line == "" and not in_signatures:
            if not current:
                raise CheckpointError(
                    "an empty line where a note should start", path=path, line=number
                )
            current.append("")
            in_signatures = True
        elif line == "":
            notes.append("\n".join(current) + "\n")
            current, in_signatures = [], False
        elif in_signatures and not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(
                "a note's signature block holds a line that is no signature", path=path, line=number
            )
        else:
            current.append(line)
    if current:
        raise CheckpointError("the last note is incomplete", path=path)
    return notes


def cosign(*, note: str, key: SigningKey, name: str) -> str:
    """``note`` with one more signature line, by ``key`` under ``name`` (a witness)."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise CheckpointError("not a signed note: no blank line before its signatures")
    text, signatures = note[: cut + 1], note[cut + 2 :]
    wanted = note_key_id(name=name, public_key=key.public_key)
    for line in signatures.splitlines():
        if line.startswith(f"{SIGNATURE_PREFIX}{name} "):
            blob = base64.b64decode(line.split(" ")[-1])
            if blob[:4] == wanted:
                return note  # already cosigned by this key
    signed = sign_note(text=text, key_name=name, key=key)
    own = signed[signed.rfind("\n\n") + 2 :]
    return f"{text}\n{signatures}{own}"


def cosign_last(*, path: Path, key: SigningKey, name: str, root_key: str) -> int:
    """A witness cosigns the file's last checkpoint once the root key's signature verifies and
    the log did not shrink since the checkpoint before it; returns its size."""
    from offerledger.integrity.checkpoint import parse_checkpoint_note
    from offerledger.integrity.trust import load_root_key

    _, public_key = load_root_key(root_key)
    if public_key is None:
        raise CheckpointError(
            "the witness needs the root public key itself (a hex file), not only its id",
            hint="--root-key FILE holding the 64 hex digits of the root public key",
        )
    checkpoints = CheckpointsFile.read(path)
    if checkpoints.last is None:
        raise CheckpointError("the checkpoints file holds no checkpoint", path=path)
    notes = [
        parse_checkpoint_note(text=n, public_key=public_key, source=str(path))
        for n in checkpoints.notes[-2:]
    ]
    if len(notes) == 2 and (notes[1].size < notes[0].size or notes[1].origin != notes[0].origin):
        raise CheckpointError(
            f"the last checkpoint ({notes[1].size} events) does not extend the one before it "
            f"({notes[0].size}); not cosigned",
            path=path,
        )
    checkpoints.replace_last(cosign(note=checkpoints.last, key=key, name=name))
    return notes[-1].size
