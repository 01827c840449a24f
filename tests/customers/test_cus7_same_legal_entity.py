"""CUS-7 (revised): exact means the same legal entity — the same normal form in the same (or no)
place. Another city's namesake, another trade word, a branch or a sister company is a fuzzy match CS
sees, never a block; a name written without its city still blocks against its city's company; a
development zone after the city is part of the place; an abbreviation in the same city weighs more
than a full name in another city. Checked on the labelled evaluation set of bench/dedupe_eval.py
and through the API on both engines."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from dedupe_eval import evaluate, pairs  # noqa: E402

from poolcrm.customers.names import compare_names, is_exact_duplicate, places  # noqa: E402


def test_cus7_evaluation_set_keeps_recall_and_blocks_no_other_entity():
    result = evaluate(pairs(per_kind=40, seed=11))
    assert result.positives >= 320
    assert result.found / result.positives >= 0.99
    assert result.blocked_positives == result.must_block  # every same-entity spelling still blocks
    assert result.blocked_negatives == []


def test_cus7_other_city_is_another_entity_but_a_name_without_city_is_the_same():
    assert not is_exact_duplicate("杭州恒通科技股份有限公司", "深圳恒通科技股份有限公司")
    assert not is_exact_duplicate("北京恒通科技有限公司", "深圳恒通科技股份有限公司")
    assert is_exact_duplicate("恒通科技股份有限公司", "深圳恒通科技股份有限公司")
    assert is_exact_duplicate("广东省深圳市恒通科技有限公司", "深圳恒通科技有限公司")
    assert is_exact_duplicate("恒通科技有限公司（北京）", "北京市恒通科技有限公司")


def test_cus7_development_zone_is_part_of_the_place():
    assert places("苏州工业园区博雅信息科技有限公司") == {"苏州"}
    assert is_exact_duplicate("苏州工业园区博雅信息科技有限公司", "苏州博雅信息科技有限公司")
    found = compare_names("苏州博雅", "苏州工业园区博雅信息科技有限公司")
    assert found is not None and found.score >= 90 and not found.exact


def test_cus7_severity_follows_the_evidence():
    same_city_abbreviation = compare_names("深圳恒通", "深圳恒通科技股份有限公司")
    other_city_full_name = compare_names("杭州恒通科技股份有限公司", "深圳恒通科技股份有限公司")
    assert same_city_abbreviation is not None and other_city_full_name is not None
    assert same_city_abbreviation.score > other_city_full_name.score
    assert "other_place" in other_city_full_name.reasons and not other_city_full_name.exact


def test_cus7_another_citys_namesake_registers_with_the_match_shown(client, org, register, approved):
    approved("rep", name="深圳恒通科技股份有限公司", phone="0755-77099226")
    same = register(org["h"]["other"], name="恒通科技股份有限公司", phone="010-88889999")
    assert same.status_code == 409 and same.json()["error"]["rule"] == "CUS-7"
    elsewhere = client.post(
        "/api/v1/customers/duplicates", json={"name": "杭州恒通科技股份有限公司"}, headers=org["h"]["other"]
    ).json()["matches"]
    assert elsewhere and elsewhere[0]["score"] < 100
    created = register(
        org["h"]["other"], name="杭州恒通科技股份有限公司", phone="0571-88000001", confirm_duplicates=True
    )
    assert created.status_code == 201, created.text


def test_cus7_abbreviation_finds_a_pending_company_in_a_development_zone(client, org, register):
    assert (
        register(org["h"]["rep"], name="苏州工业园区博雅信息科技有限公司", phone="0512-66001234").status_code
        == 201
    )
    again = register(org["h"]["other"], name="苏州博雅", phone="0512-66009999", confirm_warnings=True)
    assert again.status_code == 409, again.text  # a fuzzy match to confirm, not a silent pass
    matches = again.json()["error"]["details"]["matches"]
    assert [m["name"] for m in matches] == ["苏州工业园区博雅信息科技有限公司"] and not matches[0]["exact"]
