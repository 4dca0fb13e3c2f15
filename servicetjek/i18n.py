"""One small helper for UI strings; every string comes from content/<lang>/ui.toml."""

from __future__ import annotations

from dataclasses import dataclass, field

from servicetjek.content import LANGUAGES, load

DEFAULT_LANG = "da"


@dataclass(frozen=True)
class Message:
    """A UI-string key with its values: how the domain explains itself (reasons, advice)."""

    key: str
    params: dict = field(default_factory=dict)


def normalise_lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The UI string `key` in `lang`, formatted with `values`.

    A missing key shows itself in brackets rather than crashing a page; the content
    tests make sure no key is missing in either language.
    """
    strings = load(normalise_lang(lang)).ui
    if values.get("n") == 1 and f"{key}_one" in strings:
        key = f"{key}_one"  # "en åben runde", not "1 åben(e) runde(r)"
    text = strings.get(key)
    if text is None:
        return f"[{key}]"
    return text.format(**values) if values else text
