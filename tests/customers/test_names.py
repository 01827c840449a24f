"""The Chinese name normaliser and the form checks (customers/names, phones), named after the SPEC rule:
CUS-2..6 form checks and CUS-7's normal form, plus hypothesis properties of `name_key`."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from opencc import OpenCC

from poolcrm.customers import dedupe, names, phones, synth

# ---- CUS-2: abbreviation warning ------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "北京友好创达科技有限公司",
        "华信科技股份有限公司",
        "华信科技有限责任公司",
        "华信集团",
        "华信科技有限公司（北京）",
        "华信科技有限公司北京分公司",
        "华夏证券天仙桥营业部",
        "華信科技有限公司",  # Traditional
        "华信科技有限公司 ",
    ],
)
def test_cus2_full_registered_names_give_no_warning(name):
    assert names.abbreviation_warning(name) is None


@pytest.mark.parametrize("name", ["华信科技", "友好创达", "北京大学东门那家", "华信 科技"])
def test_cus2_name_without_legal_suffix_is_a_likely_abbreviation(name):
    assert "简称" in (names.abbreviation_warning(name) or "")


def test_cus2_empty_name_is_not_judged():
    assert names.abbreviation_warning("") is None
    assert names.abbreviation_warning("   ") is None


def test_cus2_legal_suffix_list_is_configurable():
    assert names.abbreviation_warning("北京大学", ["大学"]) is None
    assert names.abbreviation_warning("华信科技有限公司", ["大学"]) is not None


# ---- CUS-3: insurance -----------------------------------------------------------------------


def test_cus3_insurance_name_ends_with_contact_in_brackets():
    assert names.insurance_name_problem("中国人民保险集团某某支公司(代春燕)", "代春燕") is None


def test_cus3_full_width_brackets_are_accepted():
    assert names.insurance_name_problem("中国人民保险集团某某支公司（代春燕）", "代春燕") is None


def test_cus3_missing_contact_in_brackets_is_a_problem():
    problem = names.insurance_name_problem("中国人民保险集团某某支公司", "代春燕")
    assert problem is not None and "括号" in problem


def test_cus3_bracketed_name_must_be_the_contact():
    problem = names.insurance_name_problem("中国人民保险集团某某支公司(张三)", "代春燕")
    assert problem is not None and "联系人" in problem


def test_cus3_traditional_contact_name_still_matches():
    assert names.insurance_name_problem("中国人民保险集团某某支公司(代春燕)", "代春燕 ") is None
    assert names.insurance_name_problem("中國人民保險集團某某支公司(陳明)", "陈明") is None


# ---- CUS-4: securities ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["华夏证券天仙桥营业部", "华夏证券北京分公司", "华夏證券天仙橋營業部"])
def test_cus4_full_licence_name_with_branch_passes(name):
    assert names.securities_name_problem(name) is None


def test_cus4_bare_brand_is_a_problem():
    assert "营业部" in (names.securities_name_problem("华夏证券") or "")


def test_cus4_name_without_securities_word_is_a_problem():
    assert names.securities_name_problem("华夏天仙桥营业部") is not None


# ---- CUS-5: address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "北京市海淀区中关村大街1号海龙大厦5楼501室",
        "上海市浦东新区张江路88号",
        "广东省深圳市南山区科技园路1号",
        "北京市海淀区中关村大街１号",  # full-width digit
    ],
)
def test_cus5_address_in_suggested_format_gives_no_warning(address):
    assert names.address_format_warning(address) is None


@pytest.mark.parametrize("address", ["海淀区中关村", "中关村海龙大厦", "北京"])
def test_cus5_other_addresses_get_the_format_suggestion(address):
    assert "xx市xx路xx号" in (names.address_format_warning(address) or "")


def test_cus5_empty_address_is_not_judged():
    assert names.address_format_warning("") is None


# ---- CUS-6: phones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("010-62345678", "+861062345678"),
        ("(010)62345678", "+861062345678"),
        ("０１０－６２３４５６７８", "+861062345678"),  # full-width
        ("010-62345678转123", "+861062345678"),  # extension dropped
        ("0755-86001234", "+8675586001234"),
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
    ],
)
def test_cus6_phones_are_stored_as_e164(raw, e164):
    assert phones.validate_phone(raw) == (e164, None)
    assert phones.phone_key(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "62345678", "1380013800", "abc", "", "010-1234"])
def test_cus6_invalid_phones_are_a_problem(raw):
    e164, problem = phones.validate_phone(raw)
    assert e164 is None and problem == phones.PHONE_PROBLEM
    assert phones.phone_key(raw) is None


def test_cus6_phone_key_passes_e164_through():
    assert phones.phone_key("+861062345678") == "+861062345678"
    assert phones.phone_key(None) is None


def test_cus6_mobile_must_be_a_prc_mobile():
    assert phones.is_mobile("13800138000")
    assert phones.is_mobile("+8613800138000")
    assert not phones.is_mobile("010-62345678")
    assert not phones.is_mobile("+14155550123")
    assert not phones.is_mobile("not a number")


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+8613800138000", "138 0013 8000"),
        ("+861062345678", "010 6234 5678"),
        ("+14155550123", "+1 415-555-0123"),
    ],
)
def test_cus6_phones_are_shown_formatted(e164, shown):
    assert phones.format_phone(e164) == shown


def test_cus6_unparseable_phone_is_shown_as_given():
    assert phones.format_phone("分机 8") == "分机 8"


# ---- CUS-7: the normal form -----------------------------------------------------------------

KEY = "友好创达信息科技"


@pytest.mark.parametrize(
    "spelling",
    [
        "友好创达信息科技有限公司",
        "友好創達信息科技有限公司",  # Traditional
        "北京市友好創達信息科技有限公司",
        "友好创达信息科技（北京）",  # bracketed city, full-width brackets
        "友好创达信息科技(北京)有限公司",
        "友好创达（北京市）信息科技有限公司",
        "北京 友好创达信息科技",  # space
        "北京·友好-创达.信息科技有限公司",  # punctuation
        "友好创达信息科技股份有限公司",
        "友好创达信息科技有限责任公司",
        "友好创达信息科技集团有限公司",
        "北京友好创达信息科技",
        "广东省深圳市友好创达信息科技有限公司",  # province then city
        "内蒙古自治区友好创达信息科技有限公司",
        "友好创达信息科技有限公司　",  # ideographic space
    ],
)
def test_cus7_normal_form_sees_through_spellings(spelling):
    assert names.name_key(spelling) == KEY


def test_cus7_full_and_half_width_letters_and_digits():
    assert (
        names.name_key("ＡＢＣ３Ｄ打印科技有限公司")
        == names.name_key("abc3d打印科技有限公司")
        == "abc3d打印科技"
    )


def test_cus7_brackets_full_and_half_width_are_the_same():
    assert names.name_key("华信（中国）科技有限公司") == names.name_key("华信(中国)科技有限公司")


def test_cus7_region_is_dropped_only_when_a_name_remains():
    assert names.name_key("北京市") == "北京市"
    assert names.name_key("北京有限公司") == "北京"
    assert names.name_key("北京华信有限公司") == "华信"


def test_cus7_branch_keeps_its_branch_part():
    key = names.name_key("华信科技有限公司北京分公司")
    assert key == names.name_key("北京華信科技有限公司北京分公司") == "华信科技北京分公司"
    assert key != names.name_key("华信科技有限公司")
    assert names.name_key("华夏证券天仙桥营业部") == "华夏证券天仙桥营业部"


def test_cus7_name_grams_are_bigrams_of_the_normal_form():
    assert names.name_grams("北京华信科技有限公司") == ["华信", "信科", "科技"]
    assert names.name_grams("华有限公司") == ["华有", "有限"]  # too short to strip
    assert names.name_grams("") == []


def test_cus7_exact_duplicate_blocks_only_on_equal_normal_forms():
    assert names.is_exact_duplicate("北京华信科技有限公司", "華信科技")
    assert not names.is_exact_duplicate("北京华信科技有限公司", "华信网络科技")
    assert not names.is_exact_duplicate("", "")


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("北京华信科技有限公司", "北京华信科技有限公司", "same_name"),
        ("华信科技有限公司", "華信科技有限公司", "traditional"),
        ("ABC科技有限公司", "ＡＢＣ科技有限公司", "width"),
        ("华信科技有限公司", "华信 科技有限公司", "punctuation"),
        ("华信科技有限公司", "华信科技", "legal_suffix"),
        ("北京华信科技", "华信科技", "region_prefix"),
    ],
)
def test_cus7_equal_normal_forms_score_100_with_the_reason(a, b, reason):
    match = names.compare_names(a, b)
    assert match is not None and match.score == 100
    assert reason in match.reasons
    assert reason in names.REASON_TEXT


def test_cus7_every_reason_has_a_text_in_both_languages():
    for code in names.REASON_TEXT:
        assert dedupe.reason_text(code, "zh") != code
        assert dedupe.reason_text(code, "en") != code
    assert dedupe.reason_text("legal_suffix", "zh") == "去掉公司后缀后相同"
    assert dedupe.reason_text("same_phone", "en") == "Same phone number"


def test_cus7_same_phone_is_a_reason_and_a_match():
    match = names.compare_names(
        "华信科技有限公司",
        "友好创达贸易有限公司",
        query_phone="+861062345678",
        candidate_phones=["+861062345678"],
    )
    assert match is not None and match.score >= 90 and "same_phone" in match.reasons
    only_phone = names.compare_names(
        "", "华信", query_phone="+8613800138000", candidate_phones=["+8613800138000"]
    )
    assert only_phone == names.Match(90.0, ("same_phone",))
    assert names.compare_names("", "华信") is None


def test_cus7_same_phone_in_different_spelling_matches_via_phone_key():
    assert (
        phones.phone_key("010-62345678")
        == phones.phone_key("(010) 6234 5678")
        == phones.phone_key("+861062345678")
    )


def test_cus7_branch_of_a_customer_is_a_fuzzy_match():
    match = names.compare_names("华信科技有限公司", "华信科技有限公司北京分公司")
    assert match is not None and 75 <= match.score < 100 and match.reasons == ("contains",)


def test_cus7_missing_trade_word_is_a_fuzzy_match():
    match = names.compare_names("华信信息科技有限公司", "华信科技有限公司")
    assert match is not None and 75 <= match.score < 100


def test_cus7_homophone_brand_is_a_fuzzy_match():
    match = names.compare_names("友好创达科技有限公司", "友好创大科技有限公司")
    assert match is not None and match.score >= 75 and "same_pinyin" in match.reasons


def test_cus7_other_brand_character_is_another_company():
    match = names.compare_names("优地生物科技有限公司", "优海生物科技有限公司")
    assert match is None or match.score < 75


def test_cus7_same_brand_in_an_unrelated_trade_stays_below_the_default_threshold():
    match = names.compare_names("华信物流有限公司", "华信软件有限公司")
    assert match is not None and match.score < 75


def test_cus7_unrelated_names_do_not_match():
    assert names.compare_names("北京华信科技有限公司", "上海友好创达贸易有限公司") is None


def test_cus7_quality_on_the_labelled_variant_pairs():
    quality = synth.measure_quality(synth.variant_pairs(600, seed=11))
    assert quality["recall"] >= 0.98
    assert quality["precision"] >= 0.95


def test_cus7_to_simplified_fast_path_matches_opencc():
    for text in ["北京华信科技有限公司", "華信科技", "台灣", "沈默是金", "abc", ""]:
        assert names.to_simplified(text) == (names._T2S.convert(text) if text else text)


def test_cus7_name_key_simplified_matches_name_key_for_generated_names():
    for company in synth.generate_companies(2000, seed=5):
        assert names.name_key_simplified(company["name"]) == names.name_key(company["name"])


def test_pinyin_initials():
    assert names.pinyin_initials("北京友好创达") == "bjyhcd"
    assert names.pinyin_initials("") == ""


def test_pinyin_initials_of_few_is_pinyin_initials_without_the_table():
    """The synthetic generator's path (pypinyin itself) gives what the fast path gives, a word
    that reads differently in a phrase (重庆, 银行) included."""
    for text in ("北京友好创达", "重庆重工", "中国银行", "ＡＢＣ科技", "华信（北京）", "", "123"):
        assert names.pinyin_initials_of_few(text) == names.pinyin_initials(text), text


# ---- CUS-7: properties of the normal form (hypothesis) --------------------------------------

_S2T = OpenCC("s2t")
_REGIONS = [c for c, _, _ in synth.CITIES] + [p for _, p, _ in synth.CITIES] + ["广东省", "内蒙古", "台湾"]
_FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})

company_names = st.builds(
    lambda region, core, latin, trade, suffix, bracket: (
        f"{region}{core}{latin}{trade}{f'({bracket})' if bracket else ''}{suffix}"
    ),
    st.sampled_from(["", *_REGIONS]),
    st.text(alphabet=synth.WORDS, min_size=1, max_size=5),
    st.sampled_from(["", "ABC", "3D", "e家", "iT"]),
    st.sampled_from(["", *[t for t, _ in synth.TRADES]]),
    st.sampled_from(["", *names.LEGAL_SUFFIXES_DEFAULT, "北京分公司", "营业部"]),
    st.sampled_from(["", "北京", "上海市", "中国"]),
)
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(company_names)
@example("广东省深圳市华信科技有限公司")
@example("北京金华鑫信息科技有限公司")
@example("华信公司科技有限公司北京分公司")
def test_cus7_name_key_is_idempotent(name):
    key = names.name_key(name)
    assert names.name_key(key) == key


@PROPS
@given(st.text(max_size=30))
def test_cus7_name_key_is_idempotent_on_any_text(text):
    key = names.name_key(text)
    assert names.name_key(key) == key


@PROPS
@given(company_names)
def test_cus7_name_key_is_blind_to_traditional_characters(name):
    assert names.name_key(_S2T.convert(name)) == names.name_key(name)


@PROPS
@given(company_names)
def test_cus7_name_key_is_blind_to_width(name):
    assert names.name_key(name.translate(_FULL)) == names.name_key(name)


@PROPS
@given(company_names)
def test_cus7_name_key_is_blind_to_traditional_and_width_together(name):
    assert names.name_key(_S2T.convert(name).translate(_FULL)) == names.name_key(name)


@PROPS
@given(company_names, st.lists(st.sampled_from([" ", "·", "-", "　", "、", "."]), min_size=1, max_size=3))
def test_cus7_name_key_is_blind_to_spaces_and_punctuation(name, marks):
    spaced = "".join(ch + (marks[i % len(marks)] if i % 2 else "") for i, ch in enumerate(name))
    assert names.name_key(spaced) == names.name_key(name)


@PROPS
@given(company_names)
def test_cus7_equal_normal_forms_always_score_100(name):
    variant = _S2T.convert(name).translate(_FULL)
    match = names.compare_names(name, variant)
    if names.name_key(name):
        assert match is not None and match.score == 100


def test_cus7_invisible_and_combining_characters_hide_no_duplicate():
    from poolcrm.customers.names import name_key, visible_text

    plain = "北京友好创达科技有限公司"
    for hidden in ("\u200b", "\ufe0f", "\u0301", "\u3164", "\u2060", "\u200d", "\ufeff", "\u115f"):
        variant = plain[:4] + hidden + plain[4:]
        assert name_key(variant) == name_key(plain), repr(hidden)
        assert visible_text(variant) == plain, repr(hidden)
    assert visible_text("Café Crème") == "Café Crème"
