"""The small-cell rule: no count from 1 to ``threshold - 1`` is shown, nor can one be worked out
from the counts and totals that are shown.

*Primary* suppression hides every count (cell or total) from 1 to threshold-1; zeros are shown.
*Complementary* suppression then hides more cells until each hidden count has another value
consistent with everything shown: for every hidden entry there is a set of hidden entries that
can move by one together, keeping every shown total right and every hidden count at 1 or more
(hidden counts are never zero, and anyone may know that). In a one-way table that set is a
pair in the line (two cells moving opposite ways, or a cell and a hidden total moving the same
way); in a two-way table with row and column totals it is a rectangle of the table bordered by
its totals. Only counts within one table are considered: see docs/analytics.md for what this
does not protect against (differences between two filtered views).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass


def is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


@dataclass(frozen=True)
class OneWay:
    """Cells and their total; ``None`` where a count is hidden."""

    cells: tuple[int | None, ...]
    total: int | None


@dataclass(frozen=True)
class TwoWay:
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    total: int | None


def one_way(counts: Sequence[int], threshold: int, *, hide_total: bool = False) -> OneWay:
    """A partition of ``sum(counts)`` (every record in exactly one cell) with its total.

    ``hide_total``: the total is hidden whatever its size (because another table over the
    same records had to hide it); then at least one nonzero cell is hidden too, or the cells
    would add up to it."""
    values = [*counts, sum(counts)]
    if hide_total and values[-1]:
        hidden = {i for i, v in enumerate(values) if is_small(v, threshold)} | {len(counts)}
        nonzero = sorted((i for i, v in enumerate(counts) if v), key=lambda i: counts[i])
        if nonzero and not hidden & set(nonzero):
            hidden.add(nonzero[0])
    else:
        hidden = _protect_lines(values, [list(range(len(values)))], threshold)
    return OneWay(tuple(None if i in hidden else v for i, v in enumerate(values[:-1])),
                  None if len(values) - 1 in hidden else values[-1])


def each_of(counts: Sequence[int], total: int, threshold: int, *, hide_total: bool = False) -> OneWay:
    """Counts that overlap (records with each flag; a record may have several): each count
    and its complement ``total - count`` form their own two-cell partition of the total."""
    if is_small(total, threshold):
        return OneWay(tuple(None if c else 0 for c in counts), None)
    if hide_total:  # the complement is unknown: only the small counts themselves are hidden
        return OneWay(tuple(None if is_small(c, threshold) else c for c in counts), None)
    cells: list[int | None] = []
    for count in counts:
        pair = one_way([count, total - count], threshold)
        cells.append(pair.cells[0])
    return OneWay(tuple(cells), total)


def two_way(table: Sequence[Sequence[int]], threshold: int) -> TwoWay:
    """A table with row totals, column totals and the grand total, all shown unless hidden."""
    rows = len(table)
    cols = len(table[0]) if rows else 0
    # The table bordered by its totals: entry (r, c), r = rows and c = cols being the totals.
    grid = [list(row) + [sum(row)] for row in table]
    grid.append([sum(table[r][c] for r in range(rows)) for c in range(cols)] + [sum(map(sum, table))])
    hidden = _protect_grid(grid, threshold)
    shown = [[None if (r, c) in hidden else grid[r][c] for c in range(cols + 1)] for r in range(rows + 1)]
    return TwoWay(tuple(tuple(row[:cols]) for row in shown[:rows]),
                  tuple(row[cols] for row in shown[:rows]), tuple(shown[rows][:cols]), shown[rows][cols])


# --- one line: cells and a total (the last index) ---------------------------------------

def _protect_lines(values: list[int], lines: list[list[int]], threshold: int) -> set[int]:
    """Indexes to hide in one line whose last entry is the sum of the others."""
    (line,) = lines
    total_at = line[-1]
    hidden = {i for i in line if is_small(values[i], threshold)}
    if total_at in hidden:
        # A small total: every count under it is small too.
        return {i for i in line if values[i]}

    def partner(i: int) -> bool:
        for j in hidden:
            if j == i:
                continue
            if j == total_at or i == total_at:
                return True  # a cell and the total rise together
            if values[i] >= 2 or values[j] >= 2:
                return True  # one rises, the other falls and stays at 1 or more
        return False

    while True:
        lonely = sorted((i for i in hidden if not partner(i)), key=lambda i: values[i])
        if not lonely:
            return hidden
        i = lonely[0]
        candidates = sorted((j for j in line[:-1] if j not in hidden and values[j]
                             and (values[i] >= 2 or values[j] >= 2)), key=lambda j: values[j])
        hidden.add(candidates[0] if candidates else total_at)


# --- a table bordered by its totals -------------------------------------------------------

def _protect_grid(grid: list[list[int]], threshold: int) -> set[tuple[int, int]]:
    last_r, last_c = len(grid) - 1, len(grid[0]) - 1
    entries = [(r, c) for r in range(last_r + 1) for c in range(last_c + 1)]
    hidden = {e for e in entries if is_small(grid[e[0]][e[1]], threshold)}

    def sign(r: int, c: int) -> int:
        # A total moves against its cells (rows and columns sum to it), the grand total with them.
        return -1 if (r == last_r) != (c == last_c) else 1

    def feasible(corners: tuple[tuple[int, int], ...]) -> bool:
        # The corners move +d, -d, -d, +d (in the signed grid every line then still adds up).
        if any(grid[r][c] == 0 for r, c in corners):
            return False
        for d in (1, -1):
            pattern = (d, -d, -d, d)
            if all(grid[r][c] + sign(r, c) * p >= 1 for (r, c), p in zip(corners, pattern, strict=True)):
                return True
        return False

    def rectangles(r: int, c: int) -> Iterator[tuple[tuple[int, int], ...]]:
        for r2 in range(last_r + 1):
            if r2 == r:
                continue
            for c2 in range(last_c + 1):
                if c2 != c:
                    yield ((r, c), (r, c2), (r2, c), (r2, c2))

    protected: set[tuple[int, int]] = set()
    while True:
        todo = sorted((e for e in hidden if e not in protected), key=lambda e: grid[e[0]][e[1]])
        if not todo:
            return hidden
        r, c = todo[0]
        best: tuple[tuple[int, int, int], tuple[tuple[int, int], ...]] | None = None
        for corners in rectangles(r, c):
            if not feasible(corners):
                continue
            new = [e for e in corners if e not in hidden]
            # Fewest new hidden counts, then the smallest, and never the grand total if avoidable.
            cost = (len(new), sum(grid[a][b] for a, b in new), int((last_r, last_c) in new))
            if best is None or cost < best[0]:
                best = (cost, corners)
            if cost[0] == 0:
                break
        # The rectangle through the cell's row total, column total and grand total always moves
        # (all four rise together), so there is always one.
        assert best is not None  # noqa: S101
        for e in best[1]:
            hidden.add(e)
            protected.add(e)
