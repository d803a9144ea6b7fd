"""bench.trees: reading a consumer report's ratio (both report formats) and each tree's line through
its (steal, ratio) runs."""

from __future__ import annotations

import pytest

from bench.consumer_figures import Run, table
from bench.trees import Point, fit, parse, ratio_of, report

# The rows as the first benchmark (90541b4, frozen: an older tree prints them so) printed them.
OLD_REPORT = """\
| ceiling: limit/(callsxlatency), orders/s | 66.06     |
| ratio to the ceiling                     | 0.937     |
"""


def run(name: str, orders: int, service_s: float) -> Run:
    return Run(
        name, orders, orders, 11.0, 1.0, 2 * orders, 0, 15, 14.0, 0.15, 15, 2.0, 2.0, service_s=service_s
    )


def test_the_ratio_is_read_from_either_report_format() -> None:
    assert ratio_of(OLD_REPORT) == 0.937
    # today's table: ours first, then the naive one; a second ratio row (at NetSuite's measured time)
    ours, naive = run("ours", 900, 0.155), run("naive", 300, 0.160)
    assert ratio_of(table([ours, naive])) == round(ours.ratio, 3) != round(ours.service_ratio, 3)


def test_a_report_without_the_row_is_an_error() -> None:
    with pytest.raises(ValueError, match="ratio to the ceiling"):
        ratio_of("| ratio to the ceiling at that time | 0.9 |\n")


def test_runs_on_a_line_give_its_intercept_and_slope() -> None:
    points = [Point("a", steal, 0.95 - 0.8 * steal) for steal in (0.01, 0.06, 0.14, 0.24)]
    line = fit(points)
    assert line is not None
    assert line.runs == 4
    assert line.at_zero == pytest.approx(0.95)
    assert line.per_point == pytest.approx(-0.008)
    assert line.error == pytest.approx(0.0, abs=1e-9)


def test_scatter_shows_in_the_error() -> None:
    points = [Point("a", s, r) for s, r in ((0.01, 0.93), (0.02, 0.90), (0.10, 0.86), (0.12, 0.83))]
    line = fit(points)
    assert line is not None
    assert line.error > 0.005


def test_runs_of_unknown_steal_are_left_out() -> None:
    points = [Point("a", s, 0.9 - 0.5 * s) for s in (0.0, 0.1, 0.2)] + [Point("a", None, 0.1)]
    line = fit(points)
    assert line is not None
    assert line.runs == 3
    assert line.at_zero == pytest.approx(0.9)


@pytest.mark.parametrize(
    "points",
    [
        [Point("a", 0.01, 0.9), Point("a", 0.05, 0.88)],  # two runs: no error to give
        [Point("a", 0.03, 0.9), Point("a", 0.03, 0.88), Point("a", 0.03, 0.89)],  # one steal: no line
    ],
)
def test_no_line_without_enough_spread(points: list[Point]) -> None:
    assert fit(points) is None


def test_the_report_lists_every_run_and_each_tree_line() -> None:
    points = [Point("old", s, 0.95 - s) for s in (0.0, 0.1, 0.2)] + [Point("this tree", None, 0.9)]
    text = report(points, ["old", "this tree"])
    assert "| 4 | this tree | ? | 0.900 |" in text
    assert "- old: 0.950 ± 0.000 at 0 % steal (3 runs; -0.100 per 10 points of steal)" in text
    assert "- this tree: too few runs" in text


def test_what_follows_the_first_double_dash_goes_to_the_benchmark_as_it_is() -> None:
    args, extra = parse(["6033c6c", "--pairs", "5", "--", "--orders", "500", "--", "x"])
    assert (args.rev, args.pairs) == ("6033c6c", 5)
    assert extra == ["--orders", "500", "--", "x"]
    args, extra = parse(["--pairs", "3", "HEAD~1"])
    assert (args.rev, args.pairs, extra) == ("HEAD~1", 3, [])


def test_fewer_than_three_pairs_are_refused() -> None:
    """Each tree's line needs three runs."""
    with pytest.raises(SystemExit):
        parse(["HEAD~1", "--pairs", "2"])
