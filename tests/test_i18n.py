"""The message catalogues: one English text per Chinese message (per context) across the domains'
.po files, and message contexts for the words that read two ways."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from poolcrm import i18n
from poolcrm.errors import InvalidInput
from poolcrm.i18n import CONTEXT, listing, translate


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


def test_i18n_a_list_param_reads_in_the_readers_language():
    """A list kept with a notification (WORK-4's reps short of actions) is joined, and each item
    worded, when it is read: 、 and full-width brackets in Chinese, commas and brackets in English."""
    params = {
        "names": [{"name": "张伟", "actions": 1, "minimum": 3}, {"name": "李娜", "actions": 0, "minimum": 3}],
        **listing(names="{name}（{actions}/{minimum}）"),
    }
    message = "{week} 当周商机行动不足的销售 {n} 人：{names}"
    assert translate(message, "zh", week="2026-11-30", n=2, **params) == (
        "2026-11-30 当周商机行动不足的销售 2 人：张伟（1/3）、李娜（0/3）"
    )
    assert translate(message, "en", week="2026-11-30", n=2, **params).endswith(": 张伟 (1/3), 李娜 (0/3)")
    assert translate("{names}", "en", names=["a", "b"], **listing(names=None)) == "a, b"


def test_i18n_invalid_input_names_its_fields_with_the_readers_separator():
    error = InvalidInput({"name": "必填", "phone": "格式不对"})
    assert error.render("zh")["error"]["message"] == "输入有误：name、phone"
    assert error.render("en")["error"]["message"] == "Invalid input: name, phone"


TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
FULL_WIDTH_PUNCTUATION = re.compile(r"[\u3001-\u303f\uff01-\uff5e]")  # not U+3000, an indent


def test_i18n_templates_keep_chinese_punctuation_in_messages():
    """Chinese punctuation written beside a message (`{{ _("备注") }}：`) stays Chinese on the English
    page ("Remark："): it is a message itself (`_("：")` reads ": ") or part of one."""
    root = Path(i18n.__file__).parent.parent
    loose = []
    for template in sorted(root.rglob("templates/**/*.html")):
        text = template.read_text()
        outside = TEMPLATE_TAG.sub("", text)
        inside = " ".join(TEMPLATE_TAG.findall(text))
        bare_literals = re.findall(r"""(?<!_\()(["'])[\u3001-\u303f\uff01-\uff5e]\1""", inside)
        if FULL_WIDTH_PUNCTUATION.search(outside) or bare_literals:
            loose.append(template.relative_to(root).as_posix())
    assert loose == []


def test_i18n_a_count_reads_one_or_many_in_english():
    """Chinese says "{n} 个" for one and for many; English "1 deal", "2 deals" (msgid_plural)."""
    assert [translate("{n} 个", "en", n=n) for n in (1, 2, 0)] == ["1 deal", "2 deals", "0 deals"]
    assert translate("待裁定争议 {n} 件", "en", n=1) == "1 dispute to decide"
    assert translate("{n} 个", "zh", n=1) == "1 个"
    assert translate("今日抽查 {count} 条跟进记录待审核", "en", count=1).startswith("1 follow-up drawn")
