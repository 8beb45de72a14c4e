"""The small-cell rule, checked by brute force: every completion of the hidden counts that agrees
with what is shown is enumerated, and no count the rule hid for being small has only one."""

from __future__ import annotations

import itertools
import random

import pytest

from app.services.analytics.suppression import each_of, is_small, one_way, two_way

THRESHOLD = 5


def completions_one_way(shown: list[int | None], total: int | None, cap: int) -> list[tuple[int, ...]]:
    hidden = [i for i, v in enumerate(shown) if v is None]
    out = []
    for values in itertools.product(range(1, cap + 1), repeat=len(hidden)):
        full = list(shown)
        for i, v in zip(hidden, values, strict=True):
            full[i] = v
        if total is not None and sum(full) != total:  # type: ignore[arg-type]
            continue
        if total is None and sum(full) < 1:  # type: ignore[arg-type]
            continue
        out.append(tuple(full))  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("seed", range(300))
def test_one_way_no_small_cell_recoverable(seed: int) -> None:
    rng = random.Random(seed)
    counts = [rng.choice([0, 1, 1, 2, 3, 4, 5, 6, 9]) for _ in range(rng.randint(1, 5))]
    hide_total = seed % 3 == 0  # as when another chart of the same view had to hide the total
    table = one_way(counts, THRESHOLD, hide_total=hide_total)
    if hide_total and sum(counts):
        assert table.total is None
        assert sum(counts) == 0 or any(c is None for c in table.cells)  # the cells do not add up to it
    total = sum(counts)
    # Nothing small is shown, and every shown count is the true one.
    for shown, true in zip((*table.cells, table.total), (*counts, total), strict=True):
        assert shown is None or (shown == true and not is_small(shown, THRESHOLD))
    cap = total + 2
    found = completions_one_way(list(table.cells), table.total, cap)
    assert tuple(counts) in found
    for i, true in enumerate(counts):
        if is_small(true, THRESHOLD):
            assert len({full[i] for full in found}) >= 2, (counts, table)


def test_one_way_examples() -> None:
    assert one_way([10, 3, 8], 5).cells == (10, None, None)
    assert one_way([10, 3, 8], 5).total == 21
    # Five ones: the cells could only be ones, so the total is hidden as well.
    assert one_way([1, 1, 1, 1, 1], 5) == one_way([1, 1, 1, 1, 1], 5)
    assert one_way([1, 1, 1, 1, 1], 5).total is None
    # A small total hides every count under it; zeros stay.
    assert one_way([2, 0, 1], 5).cells == (None, 0, None)
    assert one_way([2, 0, 1], 5).total is None
    assert one_way([0, 7], 5).cells == (0, 7)


def test_each_of_hides_small_complements() -> None:
    table = each_of([2, 18, 10], 20, 5)
    assert table.cells == (None, None, 10)  # 18 of 20 would say 2 records lack it
    assert table.total == 20
    assert each_of([3], 3, 5).total is None


def completions_two_way(cells: list[list[int | None]], rows: list[int | None], cols: list[int | None],
                        total: int | None, cap: int) -> list[tuple[int, ...]]:
    """Every inner table agreeing with what is shown (hidden counts 1..cap, hidden totals >= 1)."""
    flat = [(r, c) for r in range(len(cells)) for c in range(len(cells[0])) if cells[r][c] is None]
    out = []
    for values in itertools.product(range(1, cap + 1), repeat=len(flat)):
        full = [list(row) for row in cells]
        for (r, c), v in zip(flat, values, strict=True):
            full[r][c] = v
        ok = all(rows[r] is None or sum(full[r]) == rows[r] for r in range(len(full)))  # type: ignore[arg-type]
        ok = ok and all(cols[c] is None or sum(full[r][c] for r in range(len(full))) == cols[c]  # type: ignore[misc]
                        for c in range(len(full[0])))
        ok = ok and (total is None or sum(map(sum, full)) == total)  # type: ignore[arg-type]
        if ok:
            out.append(tuple(v for row in full for v in row))  # type: ignore[misc]
    return out


@pytest.mark.parametrize("seed", range(120))
def test_two_way_no_small_cell_recoverable(seed: int) -> None:
    rng = random.Random(1000 + seed)
    while True:  # a random table small enough to enumerate every completion of
        n_rows, n_cols = rng.choice([(2, 2), (2, 3), (3, 2), (3, 3)])
        table = [[rng.choice([0, 1, 1, 2, 3, 5, 6, 8]) for _ in range(n_cols)] for _ in range(n_rows)]
        result = two_way(table, THRESHOLD)
        if sum(v is None for row in result.cells for v in row) <= 5:
            break
    rows = [sum(r) for r in table]
    cols = [sum(table[r][c] for r in range(n_rows)) for c in range(n_cols)]
    total = sum(rows)
    pairs = [*zip([v for row in result.cells for v in row], [v for row in table for v in row], strict=True),
             *zip(result.row_totals, rows, strict=True), *zip(result.column_totals, cols, strict=True),
             (result.total, total)]
    for shown, true in pairs:
        assert shown is None or (shown == true and not is_small(shown, THRESHOLD))
    cap = min(total + 2, 9)
    found = completions_two_way([list(r) for r in result.cells], list(result.row_totals),
                                list(result.column_totals), result.total, cap)
    truth = tuple(v for row in table for v in row)
    assert truth in found
    for k, true in enumerate(truth):
        if is_small(true, THRESHOLD):
            assert len({full[k] for full in found}) >= 2, (table, result)
    # A small total hidden for being small must not be recoverable either.
    for r, true in enumerate(rows):
        if is_small(true, THRESHOLD):
            assert len({sum(full[r * n_cols:(r + 1) * n_cols]) for full in found}) >= 2, (table, result)
    for c, true in enumerate(cols):
        if is_small(true, THRESHOLD):
            assert len({sum(full[c::n_cols]) for full in found}) >= 2, (table, result)
