"""The soak script runs (at a tiny scale here; `python -m benchmarks.soak` runs a million questions)."""

from benchmarks.soak import soak


def test_soak_at_small_scale_answers_everything_through_reloads():
    result = soak(questions=2000, threads=4, reload_every=0.05)
    assert result["errors"] == 0 and result["questions"] == 2000
    assert result["reloads"] >= 1 and result["rejected"] >= 1  # a good edit swapped in, a broken one refused
