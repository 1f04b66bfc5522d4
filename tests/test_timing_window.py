"""The election window worked out once (``timing.Window``) answers as the announcements do one
by one: the same expiration in force, deadline and reason at every moment."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from offerledger.domain import timing
from offerledger.events import EASTERN

T0 = datetime(2001, 8, 27, 9, 0, tzinfo=EASTERN)


def announcements(rng: random.Random) -> tuple[tuple[datetime, datetime], ...]:
    """A commencement and up to five extensions, announced in any effective order (some at
    the same instant), each stating an expiration."""
    out = [(T0, T0 + timedelta(days=30, minutes=rng.randrange(0, 1440)))]
    for _ in range(rng.randrange(0, 6)):
        announced = T0 + timedelta(days=rng.choice([3, 10, 10, 20, 25]))
        out.append((announced, announced + timedelta(days=rng.randrange(5, 40), seconds=59)))
    return tuple(out)


@pytest.mark.parametrize("seed", range(40))
def test_window_agrees_with_in_force_index(seed: int) -> None:
    rng = random.Random(seed)
    stated = announcements(rng)
    window = timing.Window(stated)
    moments = [a for a, _ in stated] + [e for _, e in stated]
    moments += [m + timedelta(microseconds=d) for m in list(moments) for d in (-1, 1)]
    moments += [T0 + timedelta(seconds=rng.randrange(0, 90 * 86400)) for _ in range(50)]
    for at in moments:
        index = timing.in_force_index(stated, at)
        assert window.index(at) == index
        expected = stated[index][1].replace(second=0, microsecond=0) + timedelta(minutes=1)
        assert window.deadline(at) == timing.deadline(stated, at) == expected
        assert timing.outside_window(
            commenced=T0, terminated=None, announcements=stated, at=at
        ) == (
            None
            if at >= T0 and at < expected
            else (
                f"the offer commenced at {T0.isoformat()}"
                if at < T0
                else f"the offer expired at {stated[index][1].isoformat()} "
                "(the whole stated minute counts)"
            )
        )


def test_the_last_tuple_is_worked_out_once_and_a_list_never_cached() -> None:
    stated = announcements(random.Random(1))
    assert timing.window_of(stated) is timing.window_of(stated)
    listed = list(stated)
    first = timing.window_of(listed)
    listed.append((T0 + timedelta(days=29), T0 + timedelta(days=60)))
    assert timing.window_of(listed) is not first
    assert timing.window_of(listed).index(T0 + timedelta(days=29)) == len(listed) - 1


def test_no_announcement_is_refused() -> None:
    with pytest.raises(ValueError, match="states its expiration"):
        timing.Window(())
