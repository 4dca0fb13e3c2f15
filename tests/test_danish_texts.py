"""Danish as an AMO member reads it (issue 13): one spelling, one kind of quotation marks,
"runde" only for rating rounds, no 'á' for 'à', no symbol for 'gns.', no "0 sekunder"."""

import re
import tomllib
from datetime import datetime

from servicetjek import agenda
from servicetjek.content import load
from servicetjek.i18n import t
from servicetjek.paths import CONTENT_DIR


def danish_values():
    """Every text in content/da with where it sits: (file, dotted key, text)."""
    out = []

    def walk(node, where, file):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{where}.{k}" if where else k, file)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]", file)
        elif isinstance(node, str):
            out.append((file, where, node))

    for path in sorted((CONTENT_DIR / "da").glob("*.toml")):
        walk(tomllib.loads(path.read_text(encoding="utf-8")), "", path.name)
    return out


def test_no_acute_a_diameter_sign_or_second_spelling_of_stop_op():
    for file, key, text in danish_values():
        assert not re.search(r"\sá\s", text), (file, key, text)  # "grupper à cirka 7"
        assert "⌀" not in text, (file, key)  # "gns."
        assert not re.search(r"stop-op", text, re.IGNORECASE), (file, key)  # the seed writes "stop op"


def test_one_kind_of_quotation_marks():
    for file, key, text in danish_values():
        assert not re.search(r"[“”„‘’]|(^|\s)'\w|\w'(\s|$|[.,])", text), (file, key, text)


def test_runde_is_for_rating_rounds_only():
    meeting_texts = [(f, k, v) for f, k, v in danish_values()
                     if f == "method.toml" and k.startswith(("single", "dialogue"))
                     or f == "ui.toml" and k.startswith(("agenda.", "meetings.", "mode."))]
    assert meeting_texts
    for file, key, text in meeting_texts:
        assert "runde" not in text.lower(), (file, key, text)


def test_no_zero_seconds_per_participant():
    book = load("da").single
    for n in range(1, 41):
        plan = agenda.build(book, "single", datetime(2027, 3, 2, 9), n, ["focus"])
        for advice in plan.advice:
            text = t(advice.key, "da", **advice.params)
            assert not re.search(r"(^|\D)0 sekunder", text), (n, text)


def test_no_symbol_for_average_in_code_either():
    """Words shown to users also come from code (chart titles, tooltips): no "⌀" there either."""
    from servicetjek.paths import MAIN_SCRIPT

    root = MAIN_SCRIPT.parent
    sources = [*root.glob("pages/*.py"), *(root / "servicetjek").rglob("*.py"), MAIN_SCRIPT]
    assert len(sources) > 20
    for path in sources:
        assert "⌀" not in path.read_text(encoding="utf-8"), path


def test_answers_are_called_svar():
    """One word for the answers: "svar", as the rest of the app says it, never "besvarelse(r)"."""
    for file, key, text in danish_values():
        assert "besvarelse" not in text.lower(), (file, key, text)
