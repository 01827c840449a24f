"""Message catalogues (Babel .po files). Source strings are Simplified Chinese (the default
language); `i18n/en/*.po` hold the English translations, one file per domain so that
domains never edit each other's catalogue. A missing English entry falls back to Chinese."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

DEFAULT_LANG = "zh"
LANGS = ("zh", "en")
_HERE = Path(__file__).parent


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang == DEFAULT_LANG:
        return {}
    entries: dict[str, str] = {}
    for po in sorted((_HERE / lang).glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id and message.string and isinstance(message.id, str):
                    key = f"{message.context}{CONTEXT_SEP}{message.id}" if message.context else message.id
                    entries[key] = str(message.string)
    return entries


@cache
def plurals(lang: str) -> dict[str, tuple[str, str]]:
    """The messages with a count (`msgid_plural` in the .po files): Chinese says "{n} 个" for one
    and for many, English "{n} deal" and "{n} deals". Keyed by the Chinese message; the count is its
    `n` (or `count`) param."""
    if lang == DEFAULT_LANG:
        return {}
    entries: dict[str, tuple[str, str]] = {}
    for po in sorted((_HERE / lang).glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh):
                forms = message.string
                if isinstance(message.id, tuple) and isinstance(forms, tuple) and all(forms):
                    entries[message.id[0]] = (str(forms[0]), str(forms[1]))
    return entries


CONTEXT = "_ctx"
"""A params key giving a message context (`msgctxt` in the .po files): one Chinese word that reads
two ways in English — `_("客户", _ctx="nav")` is "Customers" in the menu, "Customer" in a column."""
CONTEXT_SEP = "\x04"  # gettext's separator between context and id

TERMS = "_terms"
"""A params key naming the params whose values are catalogue strings themselves (a call type, a
pool, a kind of violation): they are translated with the message. Plain JSON, so it is kept with
stored params (notifications)."""


def terms(*names: str) -> dict[str, Any]:
    """The params entry naming which params are catalogue strings: `notify(..., **terms("state"))`."""
    return {TERMS: list(names)}


LISTS = "_lists"
"""A params key naming the params whose values are lists, each with how one item reads: a catalogue
message formatted with the item (a dict), or None for items that are plain text. The items are
joined with the reader's separator (`SEPARATOR`: 、 in Chinese, a comma in English), so a list
stored with a notification reads in the language of whoever reads it. Plain JSON, like `TERMS`."""
SEPARATOR = "、"


def listing(**items: str | None) -> dict[str, Any]:
    """The params entry for list params: `notify(..., names=[{...}], **listing(names="{name}（{n}）"))`."""
    return {LISTS: items}


def translate(text: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    terms = params.pop(TERMS, None)
    context = params.pop(CONTEXT, None)
    lists = params.pop(LISTS, None)
    translated = text
    entries = catalogue(lang) if lang != DEFAULT_LANG else {}
    if lists:
        params = {**params, **_joined(params, lists, lang, entries.get(SEPARATOR, SEPARATOR))}
    if lang != DEFAULT_LANG:
        in_context = entries.get(f"{context}{CONTEXT_SEP}{text}") if context else None
        translated = in_context or entries.get(text) or _counted(text, lang, params) or text
        if terms:
            params = {
                k: entries.get(v, v) if k in terms and isinstance(v, str) else v for k, v in params.items()
            }
    if params:
        try:
            return translated.format(**params)
        except (KeyError, IndexError, ValueError):
            return translated
    return translated


_ = translate


def _counted(text: str, lang: str, params: dict[str, Any]) -> str | None:
    """A message with a count, in the reader's form for it: one, or many."""
    forms = plurals(lang).get(text)
    if forms is None:
        return None
    count = params.get("n", params.get("count"))
    return forms[0] if count == 1 else forms[1]


def _joined(
    params: dict[str, Any], lists: dict[str, str | None], lang: str, separator: str
) -> dict[str, str]:
    """The list params of `translate`, each item in the reader's language, joined by their separator."""
    return {
        name: separator.join(
            translate(item, lang, **value) if item and isinstance(value, dict) else str(value)
            for value in params[name]
        )
        for name, item in lists.items()
        if isinstance(params.get(name), list)
    }


def pick_lang(accept_language: str | None, cookie_lang: str | None = None) -> str:
    """zh-CN by default; English when asked for by cookie or Accept-Language.
    Traditional Chinese locales (zh-TW, zh-HK) get the Simplified pages (the product's language)."""
    if cookie_lang in LANGS:
        return cookie_lang
    if not accept_language:
        return DEFAULT_LANG
    best: tuple[float, str] = (-1.0, DEFAULT_LANG)
    for part in accept_language.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        lang = "en" if tag.startswith("en") else ("zh" if tag.startswith("zh") else None)
        if lang and q > best[0]:
            best = (q, lang)
    return best[1]
