"""The README's configuration table names every setting the code reads (datasette's test_docs idea)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = [*(ROOT / "servicetjek").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "streamlit_app.py"]


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def _documented(title: str = "Configuration") -> set[str]:
    return set(re.findall(r"`([^`]+)`", _section(title)))


def _scan(*patterns: str) -> set[str]:
    sources = [path.read_text(encoding="utf-8") for path in CODE]
    return {match for pattern in patterns for source in sources for match in re.findall(pattern, source)}


def env_variables() -> set[str]:
    return _scan(r"\bSERVICETJEK_[A-Z0-9_]*[A-Z0-9]\b")


def setting_keys() -> set[str]:
    """Keys of the settings table: settings.get/put literals, SQL on the table, *_KEY constants used with it."""
    found = set()
    for path in CODE:
        source = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"INTO settings VALUES \('([a-z_]+)'", source))
        if "settings WHERE key" in source:
            found |= set(re.findall(r"^[A-Z_]+_KEY = \"([a-z_]+)\"", source, re.M))
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            via_module = (isinstance(func, ast.Attribute) and func.attr in ("get", "put")
                          and isinstance(func.value, ast.Name) and func.value.id == "settings")
            inside = path.name == "settings.py" and isinstance(func, ast.Name) and func.id in ("get", "put")
            key = node.args[1]
            if (via_module or inside) and isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
    return found


def secrets_keys() -> set[str]:
    """Names read from .streamlit/secrets.toml: st.secrets.get("x") and secrets_section("x")."""
    return _scan(r"st\.secrets(?:\.get\(|\[)\"([a-z_]+)\"", r"secrets_section\(\"([a-z_]+)\"\)")


def test_the_scanners_find_what_we_know_is_there():
    assert {"SERVICETJEK_DB", "SERVICETJEK_BACKUP_KEEP"} <= env_variables()
    assert {"min_answers", "cookie_key", "holiday_weeks", "backup_keep", "setup_code_hash"} <= setting_keys()
    assert {"cookie_key", "backup"} <= secrets_keys()


def test_every_environment_variable_is_documented():
    missing = env_variables() - _documented()
    assert not missing, f"add these to the README's Configuration table: {sorted(missing)}"


def test_every_stored_setting_is_documented():
    missing = setting_keys() - _documented()
    assert not missing, f"add these settings-table keys to the README's Configuration table: {sorted(missing)}"


def test_every_secrets_entry_is_documented():
    documented = _documented()
    missing = {k for k in secrets_keys() if k not in documented and f"[{k}]" not in documented}
    assert not missing, f"add these secrets.toml entries to the README's Configuration table: {sorted(missing)}"


def test_operations_notes_cover_health_logs_and_upgrades():
    notes = _section("Operations")
    assert "/_stcore/health" in notes
    assert "log" in notes.lower() and "servicetjek migrate" in notes and "servicetjek backup" in notes
