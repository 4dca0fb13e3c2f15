"""One small helper for UI strings; every string comes from content/<lang>/ui.toml."""

from __future__ import annotations

import string
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


DECIMAL_COMMA = {"da"}


def decimal_separator(lang: str) -> str:
    return "," if normalise_lang(lang) in DECIMAL_COMMA else "."


def number(value: float, lang: str = DEFAULT_LANG, digits: int = 2) -> str:
    """A decimal number as the language writes it: 3,8 in Danish, 3.8 in English."""
    return f"{value:.{digits}f}".replace(".", decimal_separator(lang))


class _DecimalCommaFormatter(string.Formatter):
    """str.format, but floats get the decimal comma that number() writes."""

    def format_field(self, value, format_spec):
        text = super().format_field(value, format_spec)
        return text.replace(".", decimal_separator("da")) if isinstance(value, float) else text


_DECIMAL_COMMA_FORMATTER = _DecimalCommaFormatter()


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
    if not values:
        return text
    if normalise_lang(lang) in DECIMAL_COMMA:
        return _DECIMAL_COMMA_FORMATTER.format(text, **values)
    return text.format(**values)


def and_list(words, lang: str = DEFAULT_LANG) -> str:
    """'Tillid, Fleksibilitet og Fordybelse': a list as a sentence says it (not 'Tillid, Fordybelse ligger')."""
    words = list(words)
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {t('common.and', lang)} {words[-1]}"
