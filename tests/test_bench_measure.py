"""The benchmark harness's paired timing (tests/benchmarks/_measure.py): the two sides run in
alternate blocks — neither always first — until each has its runs and its seconds, and each
side's median is of its own runs. A fake clock makes the runs' lengths exact."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
import _measure


class Clock:
    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


@pytest.fixture()
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(_measure.time, "perf_counter", c.perf_counter)
    return c


def side(clock: Clock, seq: list, name: str, seconds: float):
    """A computation that takes ``seconds`` on the fake clock, noting its turn in ``seq``."""
    def run():
        seq.append(name)
        clock.now += seconds
        return name
    return run


def test_alternate_blocks_until_both_have_their_time(clock):
    seq = []
    # ours takes 1/64 s, theirs 1/16 s (binary fractions: the sums are exact); 1/4 s each, in
    # blocks of 1/16 s: four of ours a block, one of theirs
    (m_a, runs_a, last_a), (m_b, runs_b, last_b) = _measure.paired_times(
        side(clock, seq, "a", 1 / 64), side(clock, seq, "b", 1 / 16), repeat=3,
        min_total_s=0.25, blocks=4)
    assert "".join(seq) == "aaaab" "baaaa" "aaaab" "baaaa"
    assert (len(runs_a), len(runs_b)) == (16, 4)
    assert m_a == pytest.approx(1 / 64) and m_b == pytest.approx(1 / 16)
    assert (last_a, last_b) == ("a", "b")


def test_at_least_repeat_rounds_of_slow_sides(clock):
    seq = []
    # each run longer than the whole minimum: one run a block, three rounds
    _measure.paired_times(side(clock, seq, "a", 2.0), side(clock, seq, "b", 5.0), repeat=3,
                          min_total_s=1.0)
    assert "".join(seq) == "ab" "ba" "ab"
