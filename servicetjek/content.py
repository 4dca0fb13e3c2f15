"""Load the method's content from content/<lang>/*.toml into typed objects.

Content is data so that wording can change without code changes; validation here makes
sure every theme and step is complete in every language and that the numbers the
planner relies on (minutes, weeks) agree between languages.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache

from servicetjek.paths import CONTENT_DIR

LANGUAGES = ("da", "en")
THEME_IDS = ("cohesion", "flexibility", "availability", "focus", "trust", "fairness")
THEME_TEXT_FIELDS = ("name", "question", "summary", "at_stake", "different_needs", "signs", "proposal_question")


class ContentError(ValueError):
    pass


@dataclass(frozen=True)
class Quote:
    text: str
    source: str


@dataclass(frozen=True)
class Case:
    title: str
    text: str
    source: str = ""


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    question: str
    summary: str
    at_stake: str
    different_needs: str
    signs: str
    reflection: tuple[str, ...]
    proposal_question: str
    quotes: tuple[Quote, ...] = ()
    cases: tuple[Case, ...] = ()


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    text: str
    minutes: int | None = None
    per_participant: int | None = None
    per_group: int | None = None
    options: dict[str, int] = field(default_factory=dict)
    option_texts: dict[str, str] = field(default_factory=dict)
    editable: bool = False
    shows: str = ""
    captures_proposals: bool = False

    def timing_signature(self) -> tuple:
        return (self.key, self.minutes, self.per_participant, self.per_group, tuple(sorted(self.options.items())))


@dataclass(frozen=True)
class Runbook:
    name: str
    duration_note: str
    before: tuple[str, ...]
    steps: tuple[Step, ...]
    connection_questions: tuple[str, ...] = ()
    planned_minutes: int | None = None  # single-theme meeting: "about an hour"
    table_size: int | None = None  # dialogue meeting: "about six" per table
    trials_per_group: int | None = None  # dialogue meeting: each group ends with "the 2–3 most important" trials

    @property
    def welcome_minutes(self) -> int:
        """The default length of the editable welcome step: the one source of that number."""
        return next(s.minutes for s in self.steps if s.editable)


@dataclass(frozen=True)
class Content:
    lang: str
    themes: tuple[Theme, ...]
    source: dict[str, str]
    scale: dict
    single: Runbook
    dialogue: Runbook
    trials: dict
    action_plan: dict
    ui: dict[str, str]
    intro: dict = field(default_factory=dict)  # what hybrid work is, why experiment, purpose, resources

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def theme_names(self) -> dict[str, str]:
        return {t.id: t.name for t in self.themes}


def _read(lang: str, name: str) -> dict:
    path = CONTENT_DIR / lang / name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{path}: {exc}") from exc


def _theme(raw: dict, where: str) -> Theme:
    for name in THEME_TEXT_FIELDS:
        if not str(raw.get(name, "")).strip():
            raise ContentError(f"{where}: theme {raw.get('id')!r} lacks {name}")
    if not raw.get("reflection"):
        raise ContentError(f"{where}: theme {raw.get('id')!r} has no reflection questions")
    quotes = tuple(Quote(**q) for q in raw.get("quotes", []))
    cases = tuple(Case(**c) for c in raw.get("cases", []))
    if not quotes and not cases:
        raise ContentError(f"{where}: theme {raw['id']!r} has neither quotes nor cases")
    if any(not q.source.strip() for q in quotes):
        raise ContentError(f"{where}: a quote in {raw['id']!r} lacks attribution")
    fields = {k: raw[k] for k in ("id", *THEME_TEXT_FIELDS)}
    return Theme(**fields, reflection=tuple(raw["reflection"]), quotes=quotes, cases=cases)


def _runbook(raw: dict, where: str) -> Runbook:
    steps = []
    for s in raw.get("steps", []):
        if not s.get("title") or not s.get("text"):
            raise ContentError(f"{where}: step {s.get('key')!r} lacks title or text")
        if not (s.get("minutes") or s.get("per_participant") or s.get("per_group") or s.get("options")):
            raise ContentError(f"{where}: step {s.get('key')!r} has no timing")
        if set(s.get("options", {})) != set(s.get("option_texts", {})):
            raise ContentError(f"{where}: step {s.get('key')!r} options and option_texts differ")
        steps.append(Step(**s))
    if len(steps) != 6:
        raise ContentError(f"{where}: a runbook has six steps, found {len(steps)}")
    return Runbook(
        name=raw["name"],
        duration_note=raw["duration_note"],
        before=tuple(raw.get("before") or raw.get("preparation") or ()),
        steps=tuple(steps),
        connection_questions=tuple(raw.get("connection_questions", ())),
        **{k: int(raw[k]) for k in RUNBOOK_NUMBERS if k in raw},
    )


RUNBOOK_NUMBERS = ("planned_minutes", "table_size", "trials_per_group")


@cache
def load(lang: str = "da") -> Content:
    if lang not in LANGUAGES:
        raise ContentError(f"unknown language {lang!r}")
    themes_raw = _read(lang, "themes.toml")["themes"]
    themes = tuple(_theme(t, f"{lang}/themes.toml") for t in themes_raw)
    if tuple(t.id for t in themes) != THEME_IDS:
        raise ContentError(f"{lang}/themes.toml: themes must be {THEME_IDS} in that order")
    method = _read(lang, "method.toml")
    ui = _read(lang, "ui.toml")
    dialogue = _runbook(method["dialogue"], f"{lang}/method.toml [dialogue]")
    single = _runbook(method["single"], f"{lang}/method.toml [single]")
    if len(dialogue.connection_questions) != 4:
        raise ContentError(f"{lang}/method.toml: the dialogue meeting has four connection questions")
    if not single.planned_minutes or not dialogue.table_size or not dialogue.trials_per_group:
        raise ContentError(f"{lang}/method.toml: [single] needs planned_minutes, [dialogue] table_size and "
                           "trials_per_group")
    return Content(
        lang=lang,
        themes=themes,
        source=method["source"],
        scale=method["scale"],
        single=single,
        dialogue=dialogue,
        trials=method["trials"],
        action_plan=method["action_plan"],
        ui=_flatten(ui),
        intro=_intro(method, lang),
    )


INTRO_FIELDS = ("title", "hybrid", "why", "purpose", "resources_title", "resources")


def _intro(method: dict, lang: str) -> dict:
    intro = method.get("intro", {})
    missing = [k for k in INTRO_FIELDS if not intro.get(k)]
    if missing:
        raise ContentError(f"{lang}/method.toml [intro] lacks {missing}")
    return intro


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def validate_all() -> list[Content]:
    """Load every language and check that numbers and keys agree between them."""
    loaded = [load(lang) for lang in LANGUAGES]
    first = loaded[0]
    for other in loaded[1:]:
        for book in ("single", "dialogue"):
            a = [s.timing_signature() for s in getattr(first, book).steps]
            b = [s.timing_signature() for s in getattr(other, book).steps]
            numbers = [tuple(getattr(getattr(c, book), k) for k in RUNBOOK_NUMBERS) for c in (first, other)]
            if a != b or numbers[0] != numbers[1]:
                raise ContentError(f"{book} runbook timings differ between {first.lang} and {other.lang}")
        for key in ("weeks", "checkin_weeks", "alternative_interval_days"):
            if first.trials[key] != other.trials[key]:
                raise ContentError(f"trial rhythm {key} differs between {first.lang} and {other.lang}")
        if len(first.intro["resources"]) != len(other.intro["resources"]):
            raise ContentError("intro resources differ in number")
        if len(first.action_plan["columns"]) != len(other.action_plan["columns"]):
            raise ContentError("action plan columns differ in number")
        missing = set(first.ui) ^ set(other.ui)
        if missing:
            raise ContentError(f"UI strings not in both languages: {sorted(missing)}")
        for ta, tb in zip(first.themes, other.themes, strict=True):
            if len(ta.reflection) != len(tb.reflection):
                raise ContentError(f"theme {ta.id}: reflection questions differ in number")
    return loaded
