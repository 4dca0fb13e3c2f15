"""Departments as a tree (e.g. forvaltning → afdeling → team)."""

from __future__ import annotations

from dataclasses import dataclass

from servicetjek.db import Database
from servicetjek.errors import DomainError
from servicetjek.text import line

MAX_NAME = 120


class OrgError(DomainError):
    pass


@dataclass(frozen=True)
class Department:
    id: int
    name: str
    parent_id: int | None
    headcount: int | None
    archived: bool


def _clean_name(name: str) -> str:
    return line(name, MAX_NAME, too_long="org.name_too_long", required="org.name_required", error=OrgError)


def _clean_headcount(headcount) -> int | None:
    if headcount in (None, ""):
        return None
    try:
        value = int(headcount)
    except (TypeError, ValueError):
        raise OrgError("org.headcount_invalid") from None
    if value < 0 or value > 1_000_000:
        raise OrgError("org.headcount_invalid")
    return value


def all_departments(db: Database, include_archived: bool = True) -> list[Department]:
    rows = db.query("SELECT id, name, parent_id, headcount, archived FROM departments ORDER BY name, id")
    found = [Department(*row) for row in rows]
    return found if include_archived else [d for d in found if not d.archived]


def get(db: Database, department_id: int) -> Department | None:
    row = db.query_one(
        "SELECT id, name, parent_id, headcount, archived FROM departments WHERE id = ?", [department_id]
    )
    return Department(*row) if row else None


def create(db: Database, name: str, parent_id: int | None = None, headcount=None) -> int:
    name, headcount = _clean_name(name), _clean_headcount(headcount)
    if parent_id is not None and get(db, parent_id) is None:
        raise OrgError("org.parent_unknown")

    def work(cur):
        return cur.execute(
            "INSERT INTO departments (name, parent_id, headcount) VALUES (?, ?, ?) RETURNING id",
            [name, parent_id, headcount],
        ).fetchone()[0]

    return db.transaction(work)


def update(db: Database, department_id: int, name: str, headcount=None) -> None:
    name, headcount = _clean_name(name), _clean_headcount(headcount)
    if get(db, department_id) is None:
        raise OrgError("org.unknown")
    db.execute("UPDATE departments SET name = ?, headcount = ? WHERE id = ?", [name, headcount, department_id])


def move(db: Database, department_id: int, new_parent_id: int | None) -> None:
    if get(db, department_id) is None:
        raise OrgError("org.unknown")
    if new_parent_id is not None:
        if get(db, new_parent_id) is None:
            raise OrgError("org.parent_unknown")
        if new_parent_id in subtree_ids(all_departments(db), department_id):
            raise OrgError("org.move_cycle")
    db.execute("UPDATE departments SET parent_id = ? WHERE id = ?", [new_parent_id, department_id])


def set_archived(db: Database, department_id: int, archived: bool) -> None:
    if get(db, department_id) is None:
        raise OrgError("org.unknown")
    db.execute("UPDATE departments SET archived = ? WHERE id = ?", [archived, department_id])


def children_map(departments: list[Department]) -> dict[int | None, list[Department]]:
    children: dict[int | None, list[Department]] = {}
    for dept in departments:
        children.setdefault(dept.parent_id, []).append(dept)
    return children


def subtree_ids(departments: list[Department], root_id: int) -> set[int]:
    """The department and all its descendants."""
    children = children_map(departments)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(d.id for d in children.get(current, []))
    return found


def path_name(departments: list[Department], department_id: int) -> str:
    """'Forvaltning › Afdeling › Team' for menus."""
    return paths(departments).get(department_id, "")


def paths(departments: list[Department]) -> dict[int, str]:
    """Every department's path name, computed in one pass (menus list hundreds)."""
    by_id = {d.id: d for d in departments}
    out: dict[int, str] = {}

    def path(dept: Department, seen: frozenset) -> str:
        if dept.id not in out:
            parent = by_id.get(dept.parent_id)
            prefix = path(parent, seen | {dept.id}) + " › " if parent is not None and parent.id not in seen else ""
            out[dept.id] = prefix + dept.name
        return out[dept.id]

    for dept in departments:
        path(dept, frozenset())
    return out


def menu_labels(departments: list[Department]) -> dict[int, str]:
    """'Team – Forvaltning › Afdeling': the unit's own name first, so that a select box too
    narrow for the whole path (a phone) cuts the context, not the name."""
    full = paths(departments)
    out = {}
    for dept in departments:
        context = full[dept.id][: -len(dept.name)].removesuffix(" › ")
        out[dept.id] = f"{dept.name} – {context}" if context else dept.name
    return out


def ordered_tree(departments: list[Department]) -> list[tuple[Department, int]]:
    """Departments depth-first with their depth, for indented lists."""
    children = children_map(departments)
    ids = {d.id for d in departments}
    roots = [d for d in departments if d.parent_id is None or d.parent_id not in ids]
    out: list[tuple[Department, int]] = []

    def walk(dept: Department, depth: int) -> None:
        out.append((dept, depth))
        for child in children.get(dept.id, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return out
