"""Chinese company names, phones and addresses: normalisation and comparison (CUS-2..7).

Everything here is pure (no database): the duplicate check (`dedupe`), the form checks
(`service.check_fields`) and the importer call these functions, so the same input is judged
the same way everywhere.

The normal form of a name (`name_key`) sees through what CUS-7 lists: Traditional vs
Simplified characters, full-width vs half-width, `（）` vs `()`, spaces and punctuation,
legal-form suffixes and a leading province/city.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from opencc import OpenCC
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict
from rapidfuzz import fuzz

from poolcrm.customers.regions import REGION_BASE, REGION_PREFIXES

_T2S = OpenCC("t2s")


# Longest first, so that "股份有限公司" is removed whole and not as "有限公司".
LEGAL_SUFFIXES_DEFAULT: tuple[str, ...] = tuple(
    sorted(
        {
            "集团股份有限公司",
            "集团有限责任公司",
            "集团有限公司",
            "股份有限公司",
            "有限责任公司",
            "股份公司",
            "有限公司",
            "集团公司",
            "总公司",
            "集团",
            "公司",
            "有限合伙",
            "合伙企业",
            "个人独资企业",
            "工作室",
            "商行",
            "厂",
        },
        key=len,
        reverse=True,
    )
)


# Reason codes of a match and their text (zh, en); `dedupe.reason_text` picks the language.
REASON_TEXT: dict[str, tuple[str, str]] = {
    "same_name": ("名称相同", "Same name"),
    "traditional": ("繁简写法不同", "Traditional/Simplified spelling"),
    "width": ("全角/半角不同", "Full-width/half-width characters"),
    "punctuation": ("空格或标点不同", "Spaces or punctuation differ"),
    "legal_suffix": ("去掉公司后缀后相同", "Same without the legal-form suffix"),
    "region_prefix": ("去掉省市前缀后相同", "Same without the province/city prefix"),
    "other_place": ("同名但地区不同（可能是另一家公司）", "Same name in another city (maybe another firm)"),
    "contains": ("一个名称包含另一个", "One name contains the other"),
    "similar_name": ("名称相似", "Similar name"),
    "same_initials": ("拼音首字母相同", "Same pinyin initials"),
    "same_pinyin": ("拼音相同（同音字）", "Same pinyin (homophone)"),
    "same_phone": ("电话相同", "Same phone number"),
}


_PUNCT_CATEGORIES = ("P", "S", "Z", "C", "M")
FILLERS = frozenset("\u3164\u115f\u1160\uffa0\u2800\u180e\u17b4\u17b5\u034f")
"""Characters that look like nothing (Hangul and braille fillers, invisible separators): CUS-7 sees
through them, and names are stored without them."""


def _t2s_triggers() -> frozenset[str]:
    """Characters without which OpenCC's t2s leaves a text unchanged: those it maps to something
    else, plus every character of a rewritten phrase that contains none of those (沈默 → 沉默).
    A phrase that rewrites always holds one of them, so a text with none is returned as it is —
    Simplified names (nearly all) skip the slow pure-Python converter."""
    chars: set[str] = set()
    phrases: list[str] = []
    for group in _T2S._dict_chain_data:
        for _max_len, _min_len, mapping in group if isinstance(group, list) else [group]:
            for key, value in mapping.items():
                if value == key:
                    continue
                if len(key) == 1:
                    chars.add(key)
                else:
                    phrases.append(key)
    for phrase in phrases:
        if chars.isdisjoint(phrase):
            chars.update(phrase)
    return frozenset(chars)


_T2S_TRIGGERS = _t2s_triggers()


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC t2s); other text unchanged."""
    if not text or text.isascii() or _T2S_TRIGGERS.isdisjoint(text):
        return text
    return str(_T2S.convert(text))


def half_width(text: str) -> str:
    """Full-width letters, digits and brackets → half-width (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def _strip_punct(text: str) -> str:
    """Spaces, punctuation, symbols, controls, format characters (zero-width …), combining marks and
    variation selectors, and filler characters removed (CUS-7 revised)."""
    if text.isalnum() and FILLERS.isdisjoint(text):  # letters and digits only: nothing to remove
        return text
    return "".join(
        ch for ch in text if unicodedata.category(ch)[0] not in _PUNCT_CATEGORIES and ch not in FILLERS
    )


def visible_text(text: str) -> str:
    """A name as stored and shown (CUS-7 revised): composed (NFC), without format characters
    (zero-width spaces and joiners, bidi marks), variation selectors, filler characters, or a
    combining mark left on a CJK character — invisible differences never make two names."""
    text = unicodedata.normalize("NFC", text)
    if text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if (
            category == "Cf"
            or ch in FILLERS
            or "\ufe00" <= ch <= "\ufe0f"
            or "\U000e0100" <= ch <= "\U000e01ef"
        ):
            continue
        if category in ("Mn", "Me") and (not out or _is_cjk(out[-1])):
            continue
        out.append(ch)
    return "".join(out)


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0003134f"


@lru_cache(maxsize=65536)
def normalize_text(text: str) -> str:
    """Half-width, Simplified, lower-case, without spaces and punctuation."""
    if not text:
        return ""
    return _strip_punct(to_simplified(half_width(text).lower()))


# Development zones (CUS-7 revised): `苏州工业园区博雅` is 博雅 in Suzhou — the zone is part of the place.
DEV_ZONES: tuple[str, ...] = tuple(
    sorted(
        {"工业园区", "工业园", "高新技术产业开发区", "高新技术开发区", "经济技术开发区", "经济开发区"}
        | {"高新区", "开发区", "保税区", "自贸区", "新区"},
        key=len,
        reverse=True,
    )
)


# Branch words (CUS-2: `<parent full name><branch>分公司/办事处/营业部`); a name ending in one
# keeps its ending, and the parent's legal-form suffix before the branch part is dropped.
BRANCH_WORDS: tuple[str, ...] = (
    "分公司",
    "支公司",
    "办事处",
    "营业部",
    "分行",
    "支行",
    "分院",
    "分部",
    "分店",
    "门店",
    "分厂",
)


_SUFFIX_SET = frozenset(LEGAL_SUFFIXES_DEFAULT)


_SUFFIX_LENGTHS = tuple(sorted({len(s) for s in LEGAL_SUFFIXES_DEFAULT}, reverse=True))


_REGION_SET = frozenset(REGION_PREFIXES)


_REGION_HEADS = frozenset(p[:2] for p in REGION_PREFIXES)


_SUFFIX_LAST = frozenset(s[-1] for s in LEGAL_SUFFIXES_DEFAULT)


_REGION_LENGTHS = tuple(sorted({len(p) for p in REGION_PREFIXES}, reverse=True))


_BRACKET = re.compile(r"\(([^()]*)\)")


_BRANCH_TAIL = re.compile(
    r"^(.*?(?:" + "|".join(LEGAL_SUFFIXES_DEFAULT) + r"))(.+(?:" + "|".join(BRANCH_WORDS) + r"))$"
)


def _leading_region(text: str) -> str | None:
    """The province/city a text starts with (`北京`, `北京市`, `广东省`, `内蒙古自治区`), if two
    characters or more follow it."""
    if text[:2] not in _REGION_HEADS:
        return None
    size = len(text)
    for length in _REGION_LENGTHS:
        if size > length + 1 and text[:length] in _REGION_SET:
            return text[:length]
    return None


def _strip_zone(text: str) -> str:
    """A development zone right after a city (`苏州工业园区博雅` → `博雅`): part of the place."""
    for zone in DEV_ZONES:
        if text.startswith(zone) and len(text) > len(zone) + 1:
            return text[len(zone) :]
    return text


def _strip_region(text: str) -> str:
    """One leading province/city, and a development zone after it, if two characters or more
    remain."""
    region = _leading_region(text)
    return text if region is None else _strip_zone(text[len(region) :])


def places(name: str) -> frozenset[str]:
    """CUS-7: the provinces and cities a name is placed in — its leading ones (`广东省深圳市…`)
    and a bracketed one (`…（北京）`) — by the place they name (`北京市` → `北京`)."""
    text = to_simplified(half_width(name).lower())
    found = {
        REGION_BASE[inner]
        for inner in (_strip_punct(m.group(1)) for m in _BRACKET.finditer(text))
        if inner in REGION_BASE
    }
    text = _strip_punct(_BRACKET.sub(_drop_region, text)) if "(" in text else _strip_punct(text)
    while (region := _leading_region(text)) is not None:
        found.add(REGION_BASE.get(region, region))
        text = _strip_zone(text[len(region) :])
    return frozenset(found)


def same_place(a: str, b: str) -> bool:
    """CUS-7 (revised): two names may be one legal entity only in one place — a name without a place
    fits any; two named places must share one (`广东深圳恒通` / `深圳恒通`)."""
    pa, pb = places(a), places(b)
    return not pa or not pb or not pa.isdisjoint(pb)


def _strip_suffix(text: str, suffixes: Iterable[str] | None = None) -> str:
    """One trailing legal-form suffix (`有限公司` …), if two characters or more remain; a branch
    name (`…北京分公司`) keeps its ending."""
    if suffixes is not None:
        if text.endswith(BRANCH_WORDS):
            return text
        for suffix in sorted(suffixes, key=len, reverse=True):
            if suffix and text.endswith(suffix) and len(text) > len(suffix) + 1:
                return text[: -len(suffix)]
        return text
    if text[-1:] not in _SUFFIX_LAST or text.endswith(BRANCH_WORDS):
        return text
    size = len(text)
    for length in _SUFFIX_LENGTHS:
        if size > length + 1 and text[-length:] in _SUFFIX_SET:
            return text[:-length]
    return text


def _strip_suffixes(text: str) -> str:
    """Every trailing legal-form suffix (`华信科技集团有限公司` → `华信科技`)."""
    while True:
        shorter = _strip_suffix(text)
        if shorter == text:
            return text
        text = shorter


def _core(text: str) -> str:
    """Leading provinces/cities and trailing legal-form suffixes, removed until none is left;
    for a branch, the parent's core followed by the branch part."""
    m = _BRANCH_TAIL.match(text) if text.endswith(BRANCH_WORDS) else None
    if m and len(m.group(1)) > 1:
        parent, tail = m.group(1), m.group(2)
        parent_core = _core(parent)
        if len(parent_core) >= 2:
            return parent_core + tail
    while True:
        shorter = _strip_region(_strip_suffixes(text))
        if shorter == text:
            return text
        text = shorter


def _clean(name: str) -> str:
    """Half-width, lower-case, Simplified; a bracketed region (`（北京）`) and then every space
    and punctuation mark removed."""
    text = to_simplified(half_width(name).lower())
    if "(" in text:
        text = _BRACKET.sub(_drop_region, text)
    return _strip_punct(text)


def _drop_region(m: re.Match[str]) -> str:
    """A bracketed province/city (`（北京）`, `（北 京 市）`) goes; other brackets stay."""
    return "" if _strip_punct(m.group(1)) in _REGION_SET else m.group(0)


@lru_cache(maxsize=262144)
def name_key(name: str) -> str:
    """CUS-7: the normal form two spellings of one company share.

    `北京市友好創達信息科技有限公司`, `友好创达信息科技（北京）` and `北京 友好创达信息科技` all
    give `友好创达信息科技`. A trailing bracketed region (`（北京）`) is dropped like a leading one.
    Idempotent: the normal form of a normal form is itself.
    """
    if not name:
        return ""
    key = _core(_clean(name))
    for _ in range(8):  # a removal can expose another (`广东省深圳市…`); stop at the fixpoint
        again = _core(_clean(key))
        if again == key:
            break
        key = again
    return key


def name_key_simplified(name: str) -> str:
    """`name_key` for a name already Simplified, half-width, lower-case and without punctuation
    (the synthetic generator's): skips those steps, which cost most of the time."""
    key = _core(name)
    if not name.endswith(BRANCH_WORDS):
        return key  # without a branch part `_core` reaches its fixpoint in one call
    for _ in range(8):
        again = _core(key)
        if again == key:
            break
        key = again
    return key


def name_grams(name: str) -> list[str]:
    """Character bigrams of the normal form, the index the candidate search uses."""
    return key_grams(name_key(name))


def key_grams(key: str) -> list[str]:
    """Character bigrams of a normal form (the whole form when it is one character)."""
    if len(key) < 2:
        return [key] if key else []
    return [key[i : i + 2] for i in range(len(key) - 1)]


@lru_cache(maxsize=65536)
def pinyin_initials(name: str) -> str:
    """`北京友好创达` → `bjyhcd` (for searching by initials)."""
    key = normalize_text(name)
    if not key:
        return ""
    letters = _fast_initials(key)
    if letters is not None:
        return letters
    return _pypinyin_initials(key)


def pinyin_initials_of_few(name: str) -> str:
    """`pinyin_initials` through pypinyin itself, without the fast path's table (building it
    costs 0.1–0.2 s): for a handful of texts in a fresh process (the synthetic generator's parts)."""
    key = normalize_text(name)
    return _pypinyin_initials(key) if key else ""


def _pypinyin_initials(key: str) -> str:
    return "".join(p[0] for p in lazy_pinyin(key, style=Style.FIRST_LETTER, errors="ignore") if p).lower()


def _first_letter(reading: str) -> str:
    return unicodedata.normalize("NFKD", reading)[0].lower()


@lru_cache(maxsize=1)
def _initials_table() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(character → initial of its default reading, character → the phrases in which its initial
    changes — 重 → 重庆 …). pypinyin uses the default reading outside its phrases, so a text that
    holds none of those phrases has exactly the default initials."""

    default = {chr(code): _first_letter(readings.split(",")[0]) for code, readings in pinyin_dict.items()}
    context: dict[str, list[str]] = {}
    for phrase, readings in phrases_dict.items():
        for char, reading in zip(phrase, readings, strict=False):
            if reading and default.get(char) != _first_letter(reading[0]):
                context.setdefault(char, []).append(phrase)
    return default, {char: tuple(phrases) for char, phrases in context.items()}


def _fast_initials(key: str) -> str | None:
    """Initials without pypinyin's segmentation (≈ 50× faster), or None when a character is not
    Chinese or reads differently in some phrase."""
    default, context = _initials_table()
    out = []
    for char in key:
        letter = default.get(char)
        if letter is None:
            return None
        phrases = context.get(char)
        if phrases is not None and any(phrase in key for phrase in phrases):
            return None
        out.append(letter)
    return "".join(out)


@dataclass(frozen=True)
class Match:
    """How alike two names are (0–100) and why."""

    score: float
    reasons: tuple[str, ...] = field(default_factory=tuple)
    exact: bool = False


def _stages(name: str) -> list[str]:
    """The forms a name passes through on its way to `name_key`, one per CUS-7 difference."""
    width = half_width(name).lower()
    simplified = to_simplified(width)
    bare = _strip_punct(simplified)
    no_suffix = _strip_suffixes(bare)
    return [name, width, simplified, bare, no_suffix, name_key(name)]


_STAGE_REASONS = ("width", "traditional", "punctuation", "legal_suffix", "region_prefix")


def _differences(a: str, b: str) -> list[str]:
    """The spelling differences between two names whose normal forms are equal."""
    if a == b:
        return ["same_name"]
    sa, sb = _stages(a), _stages(b)
    reasons = [
        reason
        for i, reason in enumerate(_STAGE_REASONS)
        if sa[i] != sb[i] and (sa[i] != sa[i + 1] or sb[i] != sb[i + 1])
    ]
    return reasons or ["same_name"]


def compare_names(
    a: str,
    b: str,
    *,
    query_phone: str | None = None,
    candidate_phones: Sequence[str] = (),
    floor: float = 50.0,
) -> Match | None:
    """CUS-7: score two company names; None when they are not alike at all (below `floor`).

    Equal normal forms score 100 with the spelling differences as reasons; otherwise the score
    is the best of rapidfuzz's ratio and a containment score on the normal forms, and a shared
    phone number is added as a reason (and lifts the score to at least 90)."""
    ka, kb = name_key(a), name_key(b)
    phone_hit = bool(query_phone) and query_phone in set(candidate_phones)
    if not ka or not kb:
        return Match(90.0, ("same_phone",)) if phone_hit else None
    elsewhere = not same_place(a, b)
    if ka == kb and not elsewhere:
        reasons = _differences(a, b)
        return Match(100.0, tuple(reasons + (["same_phone"] if phone_hit else [])), exact=True)
    if ka == kb:
        # The same name in another city: another legal entity, shown, never blocked.
        return Match(OTHER_PLACE_SCORE, ("other_place", *(["same_phone"] if phone_hit else [])))
    # The brand weighs more than the trade words: 优地生物科技 and 优海生物科技 are two companies.
    ba, bb = brand(ka), brand(kb)
    ratio = 0.6 * fuzz.ratio(ba, bb) + 0.4 * fuzz.ratio(ka, kb)
    reasons = ["similar_name"]
    if ba == bb:
        ta, tb = set(_TRADE_RE.findall(ka)), set(_TRADE_RE.findall(kb))
        if ta and tb and ta.isdisjoint(tb):
            # One brand in two unrelated trades (华信物流 / 华信软件): sister companies at most.
            ratio = min(ratio, SISTER_SCORE)
    elif homophones(ba, bb):
        # A homophone typed with a pinyin input method (友好创达 / 友好创大).
        ratio = max(ratio, HOMOPHONE_SCORE)
        reasons = ["same_pinyin"]
    elif len(ba) >= 2 and len(bb) >= 2:
        # Another brand character that sounds different: another company (优地 / 优海).
        ratio = min(ratio, OTHER_BRAND_SCORE)
    short, long_ = sorted((ka, kb), key=len)
    if ba == bb and short == ba and short != long_ and ratio < ABBREVIATION_SCORE:
        # The bare brand of the same company (深圳恒通 / 深圳恒通科技股份有限公司): strong evidence.
        ratio = ABBREVIATION_SCORE
        reasons = ["contains"]
    if len(short) >= 3 and short in long_:
        contained = 80 + 20 * len(short) / len(long_)
        if contained > ratio:
            ratio = contained
            reasons = ["contains"]
    if elsewhere and ratio > OTHER_PLACE_SCORE:
        # Evidence weighs less across cities: 杭州恒通 against 深圳恒通科技 is not the same firm.
        ratio = OTHER_PLACE_SCORE
        reasons = [*reasons, "other_place"]
    if phone_hit:
        ratio = max(ratio, 90.0)
        reasons.append("same_phone")
    if ratio < floor:
        return None
    return Match(round(float(ratio), 1), tuple(reasons))


# Words that describe a trade rather than name a company; the rest of a name is its brand.
TRADE_WORDS: tuple[str, ...] = tuple(
    sorted(
        set(
            [
                "信息",
                "科技",
                "技术",
                "网络",
                "软件",
                "电子",
                "机械",
                "设备",
                "新材料",
                "材料",
                "生物",
                "医疗",
                "器械",
                "医药",
                "贸易",
                "商贸",
                "建筑",
                "工程",
                "装饰",
                "物流",
                "餐饮",
                "管理",
                "文化",
                "传媒",
                "教育",
                "咨询",
                "人力资源",
                "企业",
                "环保",
                "食品",
                "汽车",
                "服务",
                "房地产",
                "开发",
                "物业",
                "广告",
                "实业",
                "发展",
                "投资",
                "控股",
                "国际",
                "智能",
                "数据",
                "系统",
                "通信",
                "能源",
                "化工",
                "制造",
                "销售",
                "供应链",
                "集团",
                "股份",
                "责任",
            ]
        ),
        key=len,
        reverse=True,
    )
)


_TRADE_RE = re.compile("|".join(TRADE_WORDS))


SISTER_SCORE = 70.0  # same brand, unrelated trade words (below the default 75: not shown)


HOMOPHONE_SCORE = 90.0  # brands that read the same in pinyin


OTHER_BRAND_SCORE = 70.0  # brands differing in a character that reads differently


OTHER_PLACE_SCORE = 85.0  # the same (or a containing) name in another province or city


ABBREVIATION_SCORE = 92.0  # a name written as its bare brand (深圳恒通) against the full name


_READINGS: dict[str, frozenset[str]] = {}


def _readings(char: str) -> frozenset[str]:
    """Every toneless pinyin reading of a character (多音字 have several), memoised."""
    value = _READINGS.get(char)
    if value is None:
        found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
        value = _READINGS[char] = frozenset(found[0]) if found and found[0] else frozenset({char})
    return value


def homophones(a: str, b: str) -> bool:
    """Two texts that can be read alike, character by character (友好创达 / 友好创大)."""
    if len(a) != len(b):
        return False
    return all(x == y or not _readings(x).isdisjoint(_readings(y)) for x, y in zip(a, b, strict=True))


@lru_cache(maxsize=262144)
def brand(key: str) -> str:
    """The distinctive part of a normal form: `友好创达信息科技` → `友好创达`."""
    core = _TRADE_RE.sub("", key)
    return core or key


def is_exact_duplicate(a: str, b: str) -> bool:
    """CUS-7 (revised): the same legal entity — equal normal forms in the same (or no) place —
    which blocks creation."""
    ka = name_key(a)
    return bool(ka) and ka == name_key(b) and same_place(a, b)


_BRACKET_TAIL = re.compile(r"[（(][^（）()]*[)）]\s*$")


_BRANCH_WORDS = ("分公司", "办事处", "营业部", "支公司", "分行", "支行", "分院", "分部", "分店", "门店")


def abbreviation_warning(name: str, legal_suffixes: Sequence[str] | None = None) -> str | None:
    """CUS-2: warn when a name has no legal-form suffix (a likely abbreviation)."""
    suffixes = [to_simplified(half_width(s)) for s in (legal_suffixes or LEGAL_SUFFIXES_DEFAULT) if s]
    text = _BRACKET_TAIL.sub("", to_simplified(half_width(name or "")).strip())
    text = re.sub(r"\s+", "", text)
    if not text:
        return None
    if any(text.endswith(s) for s in suffixes) or any(text.endswith(w) for w in _BRANCH_WORDS):
        return None
    return "名称可能是简称：请填写工商注册全称（如“……有限公司”）"


def insurance_name_problem(name: str, contact_name: str | None) -> str | None:
    """CUS-3: an insurance company's name ends with the contact's full name in brackets."""
    text = half_width(name or "").strip()
    contact = half_width(contact_name or "").strip()
    m = re.search(r"\(([^()]+)\)$", text)
    if not m:
        return "保险公司名称须以联系人全名加括号结尾，如“中国人民保险集团某某支公司(代春燕)”"
    if contact and to_simplified(m.group(1).strip()) != to_simplified(contact):
        return "括号中的姓名须与联系人一致"
    return None


def securities_name_problem(name: str) -> str | None:
    """CUS-4: a securities company's full licence name including the branch."""
    text = to_simplified(half_width(name or "")).strip()
    if "证券" not in text:
        return "证券公司名称须为完整牌照名称，如“华夏证券天仙桥营业部”"
    if not text.endswith(("营业部", "分公司", "有限公司", "证券公司")) or text.endswith("证券"):
        return "证券公司名称须包含营业部或分公司，如“华夏证券天仙桥营业部”"
    return None


_ADDRESS = re.compile(r"(省|市|自治区|特别行政区).*?(路|街|道|巷|胡同|大街|大道|弄|村|镇|里).*?(号|弄|栋|座)")


def address_format_warning(address: str) -> str | None:
    """CUS-5: suggest the format `xx市xx路xx号xx大厦x楼x室` (a warning only)."""
    text = to_simplified(half_width(address or "")).strip()
    if not text or _ADDRESS.search(text):
        return None
    return "建议地址格式：xx市xx路xx号xx大厦x楼x室"
