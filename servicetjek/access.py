"""Who may see or change what. Pages ask here; nothing is decided by hiding buttons.

- admin: everything.
- manager: reads every department (results, dashboard, boards), changes nothing.
- facilitator: runs rounds, meetings and trials for the departments assigned to them
  (a department includes its sub-units) and sees their results.
- member: reads and updates the trial board of their departments.
"""

from __future__ import annotations

from servicetjek import org
from servicetjek.errors import PermissionDenied
from servicetjek.users import User

VIEW_RESULTS = "view_results"
MANAGE_ROUNDS = "manage_rounds"
PLAN_MEETINGS = "plan_meetings"
VIEW_BOARD = "view_board"
EDIT_BOARD = "edit_board"
VIEW_DASHBOARD = "view_dashboard"
ADMIN = "admin"

_ALL_DEPARTMENTS = {
    "admin": {VIEW_RESULTS, MANAGE_ROUNDS, PLAN_MEETINGS, VIEW_BOARD, EDIT_BOARD, VIEW_DASHBOARD, ADMIN},
    "manager": {VIEW_RESULTS, VIEW_BOARD, VIEW_DASHBOARD},
}
_OWN_DEPARTMENTS = {
    "facilitator": {VIEW_RESULTS, MANAGE_ROUNDS, PLAN_MEETINGS, VIEW_BOARD, EDIT_BOARD},
    "member": {VIEW_BOARD, EDIT_BOARD},
}


def has_capability(user: User | None, action: str) -> bool:
    """Whether the role can do `action` anywhere (used to build the menu)."""
    if user is None or not user.active:
        return False
    return action in _ALL_DEPARTMENTS.get(user.role, set()) | _OWN_DEPARTMENTS.get(user.role, set())


def allowed_departments(user: User | None, action: str, departments: list[org.Department]) -> set[int]:
    if not has_capability(user, action):
        return set()
    if action in _ALL_DEPARTMENTS.get(user.role, set()):
        return {d.id for d in departments}
    allowed: set[int] = set()
    for dept_id in user.department_ids:
        allowed |= org.subtree_ids(departments, dept_id)
    return allowed


def can(user: User | None, action: str, department_id: int | None, departments: list[org.Department]) -> bool:
    if department_id is None:
        return has_capability(user, action) and action in _ALL_DEPARTMENTS.get(user.role, set())
    return department_id in allowed_departments(user, action, departments)


def require(user: User | None, action: str, department_id: int | None, departments: list[org.Department]) -> None:
    if not can(user, action, department_id, departments):
        raise PermissionDenied()
