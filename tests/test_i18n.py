"""The message catalogues: one English text per Chinese message (per context) across the domains'
.po files, and message contexts for the words that read two ways."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from poolcrm import i18n
from poolcrm.i18n import CONTEXT, translate


def test_i18n_each_message_has_one_english_text_across_the_domain_catalogues():
    """The catalogues merge into one dictionary: two domains giving one Chinese message two English
    texts would leave the English page to whichever file sorts last."""
    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    clashes = []
    for po in sorted(Path(i18n.__file__).parent.joinpath("en").glob("*.po")):
        with po.open("rb") as fh:
            for m in read_po(fh):
                if not (m.id and m.string and isinstance(m.id, str)):
                    continue
                key = (m.context, m.id)
                if key in seen and seen[key][1] != m.string:
                    clashes.append((m.id, seen[key], (po.name, m.string)))
                seen.setdefault(key, (po.name, str(m.string)))
    assert clashes == []


def test_i18n_context_gives_the_menu_its_plural_and_falls_back_to_the_plain_text():
    assert translate("客户", "en") == "Customer"
    assert translate("客户", "en", **{CONTEXT: "nav"}) == "Customers"
    assert translate("跟单", "en", **{CONTEXT: "nav"}) == "Deals"
    assert translate("公海", "en", **{CONTEXT: "nav"}) == "Public pool"  # no nav entry: the plain one
    assert translate("客户", "zh", **{CONTEXT: "nav"}) == "客户"
