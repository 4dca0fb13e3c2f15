"""Per-round sums of the settled answers (`round_totals`): what the organisation's roll-ups read.

The sums of each theme and of its squares give means and standard deviations without
reading every answer. A round's row is recomputed from `responses` in the same transaction
that adds its answers (holding.SettlePlan.move), so it never disagrees with them; bulk
loads (demo data) and restored backups rebuild all rows.
"""

from __future__ import annotations

from servicetjek.content import THEME_IDS

COLUMNS = ("n", *(f"{kind}_{t}" for t in THEME_IDS for kind in ("s", "q")))
_SUMS = ", ".join(f"sum(CAST({t} AS INTEGER)), sum(CAST({t} AS INTEGER) * {t})" for t in THEME_IDS)
_INSERT = f"INSERT INTO round_totals (round_id, {', '.join(COLUMNS)}) SELECT round_id, count(*), {_SUMS} FROM responses"


def refresh(cur, round_id: int) -> None:
    """Recompute one round's row (inside the transaction that changed its answers)."""
    cur.execute("DELETE FROM round_totals WHERE round_id = ?", [round_id])
    cur.execute(f"{_INSERT} WHERE round_id = ? GROUP BY round_id", [round_id])


def rebuild(db) -> None:
    """Every round's row from `responses` (after a bulk load or a restore)."""

    def work(cur):
        cur.execute("DELETE FROM round_totals")
        cur.execute(f"{_INSERT} GROUP BY round_id")

    db.transaction(work)
