"""The pages' Jinja environment (web.render.PageEnvironment, issue 22): templates compiled per
language, a literal `_("…")` translated when the template compiles by the same `translate` a render
would call (ConstantTranslations); a dict's items read without a failed attribute lookup first."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import nodes

from poolcrm.i18n import LANGS, translate
from poolcrm.web.render import ENVIRONMENTS, compiled


def _refuse(text: str, **params: Any) -> str:
    raise AssertionError(f"_({text!r}) called at render time")


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_compiles_in_every_language(lang: str) -> None:
    env = ENVIRONMENTS[lang]
    names = [n for n in env.list_templates() if n.endswith(".html")]
    assert len(names) > 100
    for name in names:
        compiled(name, lang)


def test_no_template_binds_a_name_of_its_own_to_underscore() -> None:
    """The compile-time translation assumes `_` is always the page's `translate`: no template may
    assign it, loop over it or take it as a macro's parameter."""
    env = ENVIRONMENTS["zh"]
    for name in (n for n in env.list_templates() if n.endswith(".html")):
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        bound = [n for n in env.parse(source).find_all(nodes.Name) if n.name == "_" and n.ctx != "load"]
        assert not bound, name


@pytest.mark.parametrize("lang", LANGS)
def test_a_literal_is_translated_when_the_template_compiles(lang: str) -> None:
    source = (
        '<b title="{{ _(\'公海\') }}">{{ _("客户", _ctx="nav") }}</b>{% set s = {"p": _("私海")} %}{{ s.p }}'
    )
    code = ENVIRONMENTS[lang].compile(source, raw=True)
    assert "context.call" not in code
    html = ENVIRONMENTS[lang].from_string(source).render(_=_refuse)
    assert html == (
        f'<b title="{translate("公海", lang)}">{translate("客户", lang, _ctx="nav")}</b>'
        + translate("私海", lang)
    )


def test_english_differs_from_chinese_and_text_is_escaped() -> None:
    assert translate("公海", "en") != "公海"  # the catalogue has it: the test below means something
    assert ENVIRONMENTS["en"].from_string("{{ _('公海') }}").render(_=_refuse) == translate("公海", "en")
    assert ENVIRONMENTS["zh"].from_string("{{ _('<公海>') }}").render(_=_refuse) == "&lt;公海&gt;"


def test_calls_with_arguments_still_run_at_render_time() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def _(text: str, **params: Any) -> str:
        calls.append((text, params))
        return translate(text, "en", **params)

    source = "{{ _('共 {n} 个', n=3) }}|{{ _(word) }}|{{ x._('a') }}|{{ _('a' ~ word) }}"
    html = ENVIRONMENTS["en"].from_string(source).render(_=_, word="公海", x={"_": lambda s: s.upper()})
    assert [c[0] for c in calls] == ["共 {n} 个", "公海", "a公海"]
    assert html.split("|")[2] == "A"


def test_a_dict_is_read_as_jinja_reads_it() -> None:
    """PageEnvironment.getattr: an item first, but never instead of a dict's own method."""
    env = ENVIRONMENTS["zh"]
    row = {"name": "<甲>", "items": 3}
    html = env.from_string(
        "{{ r.name }}|{{ r.items()|list|length }}|{{ r.missing is undefined }}|{{ r['items'] }}"
    )
    assert html.render(r=row) == "&lt;甲&gt;|2|True|3"
