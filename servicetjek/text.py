"""One rule for user text, at the domain boundary and on the way out.

Two kinds of field:

- a *line* (names, titles, places, who): one line; tabs, line breaks and runs of spaces
  become one space;
- a *text* (why/how, notes, check-in answers, comments): line breaks and tabs are kept,
  CR LF and the Unicode line/paragraph separators become a plain line break.

Both are NFC-normalised and trimmed, then counted against their limit. Characters that no
person types on purpose but that break the tools downstream are refused with a clear
message naming the character: NUL and the other C0/C1 control characters (the chart
exporter aborts the process on them, XLSX refuses them), lone surrogates (not valid
UTF-8), the non-characters U+FDD0–U+FDEF and U+xFFFE/U+xFFFF (same), and the bidi
embedding/override/isolate controls U+202A–U+202E, U+2066–U+2069 (they make text read in
a different order than it is stored: "Trojan Source").

`scrub` removes the same characters from text on its way out (exports, charts), so data
stored before this rule can still be exported. `markdown` makes text inert inside
Streamlit Markdown and labels.
"""

from __future__ import annotations

import re
import unicodedata

from servicetjek.errors import DomainError

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# Tab, LF and CR are left out here: each kind of field decides what they become.
_FORBIDDEN = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}{_BIDI_CONTROLS}]")
_FORBIDDEN_ON_OUTPUT = re.compile(_FORBIDDEN.pattern[:-1] + "\r]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029]")


class TextRefused(DomainError):
    pass


def _check(value, error: type[DomainError]) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise error("text.invalid")
    found = _FORBIDDEN.search(value)
    if found:
        raise error("text.forbidden", char=f"U+{ord(found.group()):04X}", position=found.start() + 1)
    return unicodedata.normalize("NFC", value)


def _limit(value: str, limit: int, too_long: str, required: str | None, error: type[DomainError]) -> str:
    if required and not value:
        raise error(required)
    if len(value) > limit:
        raise error(too_long, n=limit)
    return value


def line(value, limit: int, *, too_long: str = "text.too_long", required: str | None = None,
         error: type[DomainError] = TextRefused) -> str:
    """A one-line field as stored: checked, NFC, whitespace collapsed; raises `error`."""
    value = " ".join(_check(value, error).split())
    return _limit(value, limit, too_long, required, error)


def text(value, limit: int, *, too_long: str = "text.too_long", required: str | None = None,
         error: type[DomainError] = TextRefused) -> str:
    """A multi-line field as stored: checked, NFC, one kind of line break, trimmed."""
    value = _LINE_BREAKS.sub("\n", _check(value, error)).strip()
    return _limit(value, limit, too_long, required, error)


def is_clean(value: str) -> bool:
    """True when `value` contains none of the refused characters."""
    return _FORBIDDEN.search(value) is None


def scrub(value, bmp_only: bool = False):
    """`value` safe for any output format: refused characters (and CR) removed.

    Non-strings pass through unchanged, so whole rows and chart specs can be scrubbed.
    Stored text already follows the rule; this is defence in depth for older data and
    for text that reaches an exporter by another path. `bmp_only` also replaces characters
    beyond U+FFFF (emoji, rare scripts) with U+FFFD, for renderers that split them.
    """
    if isinstance(value, str):
        value = _FORBIDDEN_ON_OUTPUT.sub("", value)
        return _ASTRAL.sub("\ufffd", value) if bmp_only else value
    if isinstance(value, dict):
        return {scrub(k, bmp_only): scrub(v, bmp_only) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, bmp_only) for v in value)
    return value


# Every character CommonMark lets us escape that Streamlit's Markdown gives a meaning:
# links and images []()!, headings #, emphasis *_~, code `, HTML and autolinks <>, tables |,
# LaTeX $, directives and icons :color[..] :material/..:, e-mail autolinks @, entities &,
# list markers + - . and the escape character itself.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$@&=^\"'])")


# Some syntax is recognised *after* escapes are resolved, so a backslash cannot stop it: GFM
# links bare URLs, www. and e-mail addresses, and Streamlit turns :material/icon: and
# :emoji: into symbols. An invisible word joiner (U+2060) after a colon that touches the next
# word (not in "Titel: tekst", which stays searchable), inside "www." and before "@" stops it.
_AFTER_ESCAPES = re.compile(r"(?<=:)(?=\S)|(?i:(?<=www)(?=\.))|(?=@)")


def markdown(value) -> str:
    """User text made inert inside Streamlit Markdown, captions and widget labels.

    Shown as the same characters on one line (line breaks become spaces; an invisible word
    joiner follows a colon that touches the next word), but never as a link, image (remote
    beacon), heading, HTML, emphasis, formula, colour or icon.
    """
    value = _AFTER_ESCAPES.sub("\u2060", " ".join(scrub(str(value)).split()))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)
