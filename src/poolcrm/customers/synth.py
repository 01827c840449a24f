"""Synthetic Chinese companies for the demo, the benchmarks and the duplicate-check quality test.

Deterministic for a seed. `generate_companies` gives unique, realistic registered names with
address, contact and phones; `variant_pairs` gives labelled pairs — the same company written
another way (Traditional, full-width, without suffix or city, with spaces) and different
companies with similar names — to measure the recall and precision of CUS-7.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from poolcrm.customers.names import compare_names, name_key_simplified, pinyin_initials_of_few

CITIES = [
    ("北京", "北京市", "010"),
    ("上海", "上海市", "021"),
    ("广州", "广东省广州市", "020"),
    ("深圳", "广东省深圳市", "0755"),
    ("杭州", "浙江省杭州市", "0571"),
    ("南京", "江苏省南京市", "025"),
    ("成都", "四川省成都市", "028"),
    ("武汉", "湖北省武汉市", "027"),
    ("西安", "陕西省西安市", "029"),
    ("苏州", "江苏省苏州市", "0512"),
    ("天津", "天津市", "022"),
    ("重庆", "重庆市", "023"),
    ("长沙", "湖南省长沙市", "0731"),
    ("郑州", "河南省郑州市", "0371"),
    ("青岛", "山东省青岛市", "0532"),
    ("厦门", "福建省厦门市", "0592"),
]
WORDS = list(
    "华中国天地东方新海金宏达远信通恒泰盛安明光正和瑞丰祥永兴鑫源博创志成汇德嘉豪俊联宇辰凯旭"
    "龙凤云峰川江河湖晨星辉茂昌隆福佳美润泽宁康顺利发展启航卓越精诚智慧蓝图优品鼎力同心"
)
TRADES = [
    ("信息科技", "信息技术"),
    ("网络科技", "互联网"),
    ("软件", "信息技术"),
    ("电子", "制造"),
    ("机械设备", "制造"),
    ("新材料", "制造"),
    ("生物科技", "医药"),
    ("医疗器械", "医药"),
    ("贸易", "批发零售"),
    ("商贸", "批发零售"),
    ("建筑工程", "建筑"),
    ("装饰工程", "建筑"),
    ("物流", "交通运输"),
    ("餐饮管理", "餐饮"),
    ("文化传媒", "文化传媒"),
    ("教育咨询", "教育"),
    ("人力资源", "商务服务"),
    ("企业管理咨询", "商务服务"),
    ("环保科技", "环保"),
    ("食品", "食品"),
    ("汽车服务", "汽车"),
    ("房地产开发", "房地产"),
    ("物业管理", "房地产"),
    ("广告", "文化传媒"),
]
SUFFIXES = ["有限公司"] * 8 + ["股份有限公司", "有限责任公司"]
ROADS = [
    "中山路",
    "人民路",
    "解放路",
    "建设路",
    "长安街",
    "南京路",
    "科技园路",
    "金融大街",
    "滨江大道",
    "创业路",
]
BUILDINGS = ["国贸大厦", "世纪大厦", "金融中心", "科技大厦", "环球中心", "创新大厦", "万达广场", "财富中心"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌浩宇欣怡晨阳婷雪梅")
SOURCES = ["电话开发", "展会", "转介绍", "网络推广", "老客户", "陌拜"]
REGIONS = {
    "北京": "华北",
    "天津": "华北",
    "上海": "华东",
    "杭州": "华东",
    "南京": "华东",
    "苏州": "华东",
    "青岛": "华东",
    "厦门": "华东",
    "广州": "华南",
    "深圳": "华南",
    "成都": "西南",
    "重庆": "西南",
    "武汉": "华中",
    "长沙": "华中",
    "郑州": "华中",
    "西安": "西北",
}

# Simplified → Traditional for the characters the generator uses (enough for variants).
_TRAD = str.maketrans(
    {
        "华": "華",
        "国": "國",
        "东": "東",
        "达": "達",
        "远": "遠",
        "信": "信",
        "通": "通",
        "泰": "泰",
        "盛": "盛",
        "丰": "豐",
        "祥": "祥",
        "兴": "興",
        "鑫": "鑫",
        "源": "源",
        "创": "創",
        "汇": "匯",
        "豪": "豪",
        "联": "聯",
        "龙": "龍",
        "凤": "鳳",
        "云": "雲",
        "峰": "峰",
        "辉": "輝",
        "隆": "隆",
        "润": "潤",
        "泽": "澤",
        "宁": "寧",
        "顺": "順",
        "发": "發",
        "展": "展",
        "启": "啟",
        "航": "航",
        "卓": "卓",
        "诚": "誠",
        "智": "智",
        "蓝": "藍",
        "图": "圖",
        "优": "優",
        "鼎": "鼎",
        "同": "同",
        "网": "網",
        "络": "絡",
        "软": "軟",
        "电": "電",
        "机": "機",
        "设": "設",
        "备": "備",
        "材": "材",
        "医": "醫",
        "疗": "療",
        "器": "器",
        "贸": "貿",
        "易": "易",
        "筑": "築",
        "饰": "飾",
        "程": "程",
        "物": "物",
        "流": "流",
        "饮": "飲",
        "传": "傳",
        "媒": "媒",
        "教": "教",
        "育": "育",
        "询": "詢",
        "资": "資",
        "环": "環",
        "保": "保",
        "汽": "汽",
        "车": "車",
        "务": "務",
        "产": "產",
        "开": "開",
        "业": "業",
        "术": "術",
        "限": "限",
        "公": "公",
        "司": "司",
        "责": "責",
        "任": "任",
        "广": "廣",
        "告": "告",
        "科": "科",
        "技": "技",
        "息": "息",
        "子": "子",
        "京": "京",
        "海": "海",
        "州": "州",
        "圳": "圳",
        "杭": "杭",
        "南": "南",
        "成": "成",
        "都": "都",
        "汉": "漢",
        "西": "西",
        "苏": "蘇",
        "庆": "慶",
        "长": "長",
        "沙": "沙",
        "郑": "鄭",
        "岛": "島",
        "厦": "廈",
        "门": "門",
        "管": "管",
        "理": "理",
        "质": "質",
        "经": "經",
        "营": "營",
        "销": "銷",
        "团": "團",
    }
)
_FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {"(": "（", ")": "）"})


def _core(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.choice((2, 2, 2, 3, 4))))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


# PRC mobile prefixes phonenumbers accepts as valid (CUS-6).
MOBILE_PREFIXES = [f"13{d}" for d in range(10)] + ["150", "151", "152", "153", "155", "156", "157"]
MOBILE_PREFIXES += ["158", "159", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189"]
_CORE_LENGTHS = (2, 2, 2, 3, 4)
# A core length is skipped for the next one once this share of its combinations (core × trade)
# is taken: at a million names the two-character cores run out, and drawing them again and again
# for names already made cost more than half of the generator's time.
CORE_FILL_LIMIT = 0.5
SEVEN_DIGITS = {"0592"}  # area codes whose local numbers have 7 digits (厦门)


FIELDS = (
    "name",
    "name_key",
    "name_initials",
    "address",
    "contact_name",
    "phone",
    "mobile",
    "industry",
    "region",
    "source",
)


def iter_companies(n: int, seed: int = 2026) -> Iterator[dict[str, Any]]:
    """`n` distinct companies (distinct by CUS-7's normal form), deterministic for `seed`; phones
    are E.164 (as stored, CUS-6); `name_key` and `name_initials` come precomputed. One dict per
    company, made from `iter_company_batches`."""
    for batch in iter_company_batches(n, seed):
        columns = [batch[field] for field in FIELDS]
        for values in zip(*columns, strict=True):
            yield dict(zip(FIELDS, values, strict=True))


def iter_company_batches(
    n: int, seed: int = 2026, size: int = 10_000, first: int = 1_000
) -> Iterator[dict[str, list[Any]]]:
    """The companies of `iter_companies` in batches of `size`, field by field (`FIELDS`; what
    `bulk.bulk_create_columns` takes): sent between processes, a batch of columns costs a
    fraction of as many dicts. The first batch holds only `first` companies, so that a writer in
    another process starts early.

    Fast: one `random()` per pick instead of `choice`/`randint`; the names, all Simplified and
    without punctuation, take `names.name_key_simplified`; a name's pinyin initials are its
    parts' (city, core characters, trade with suffix), looked up instead of running pypinyin on
    every name."""
    rng = random.Random(seed)
    r = rng.random
    seen: set[str] = set()
    add = seen.add
    made = 0
    words, n_words = WORDS, len(WORDS)
    cities, n_cities = CITIES, len(CITIES)
    trades, n_trades = TRADES, len(TRADES)
    suffixes, n_suffixes = SUFFIXES, len(SUFFIXES)
    roads, buildings, sources, n_sources = ROADS, BUILDINGS, SOURCES, len(SOURCES)
    surnames, given, n_surnames, n_given = SURNAMES, GIVEN, len(SURNAMES), len(GIVEN)
    mobiles, n_mobiles = MOBILE_PREFIXES, len(MOBILE_PREFIXES)
    regions = REGIONS
    key_of = name_key_simplified
    of = pinyin_initials_of_few  # a few hundred parts: not worth the fast path's table
    initials = {part: of(part) for part in {*words, *(c for c, _, _ in cities)}}
    initials |= {t + s: of(t + s) for t, _ in trades for s in set(suffixes)}
    # names of each core length to make before the next length is taken, and those made
    room = [CORE_FILL_LIMIT * n_words**length * n_trades for length in range(16)]
    made_of_size = [0] * 16
    lengths = _CORE_LENGTHS
    take = min(first, size)
    while made < n:
        batch: dict[str, list[Any]] = {field: [] for field in FIELDS}
        put_name, put_key, put_initials, put_address, put_contact = (batch[f].append for f in FIELDS[:5])
        put_phone, put_mobile, put_industry, put_region, put_source = (batch[f].append for f in FIELDS[5:])
        end = min(n, made + take)
        while made < end:
            city, prefix, area = cities[int(r() * n_cities)]
            trade, industry = trades[int(r() * n_trades)]
            core_len = lengths[int(r() * 5)]
            while made_of_size[core_len] >= room[core_len]:
                core_len += 1
            chars = [words[int(r() * n_words)] for _ in range(core_len)]
            tail = trade + suffixes[int(r() * n_suffixes)]
            name = city + "".join(chars) + tail
            key = key_of(name)
            if key in seen:
                continue
            add(key)
            made += 1
            made_of_size[core_len] += 1
            x = r()
            person = surnames[int(x * 40) % n_surnames] + given[int(r() * n_given)]
            if x < 0.5:
                person += given[int(r() * n_given)]
            put_name(name)
            put_key(key)
            put_initials(initials[city] + "".join([initials[c] for c in chars]) + initials[tail])
            put_address(
                f"{prefix}{roads[int(r() * 10)]}{1 + int(r() * 999)}号"
                f"{buildings[int(r() * 8)]}{1 + int(r() * 30)}楼{1 + int(r() * 30):02d}{1 + int(r() * 9)}室"
            )
            put_contact(person)
            put_phone(
                f"+86{area[1:]}{2 + int(r() * 6)}{int(r() * 1_000_000):06d}"
                if area in SEVEN_DIGITS
                else f"+86{area[1:]}{2 + int(r() * 6)}{int(r() * 10_000_000):07d}"
            )
            put_mobile(f"+86{mobiles[int(r() * n_mobiles)]}{int(r() * 100_000_000):08d}")
            put_industry(industry)
            put_region(regions[city])
            put_source(sources[int(r() * n_sources)])
        yield batch
        take = size


def generate_companies(n: int, seed: int = 2026) -> list[dict[str, Any]]:
    """See `iter_companies`; a list."""
    return list(iter_companies(n, seed))


def _variant(rng: random.Random, name: str) -> str:
    """The same company written another way (what a rep might type)."""
    ways = [
        lambda s: s.translate(_TRAD),
        lambda s: s.replace("有限公司", "").replace("股份", "").replace("有限责任公司", ""),
        # the city goes, with the 市 another way may have added (not `市友好…`)
        lambda s: (s[3:] if s[2:3] == "市" else s[2:]) if s[:2] in {c for c, _, _ in CITIES} else s,
        lambda s: s[:2] + "市" + s[2:] if s[:2] in {c for c, _, _ in CITIES} else s,
        lambda s: s.translate(_FULL) if rng.random() < 0.5 else s[:2] + " " + s[2:],
        lambda s: (
            s[2:].removeprefix("市").replace("有限公司", f"（{s[:2]}）有限公司")
            if s[:2] in {c for c, _, _ in CITIES}
            else s
        ),
    ]
    out = name
    for way in rng.sample(ways, rng.choice((1, 2))):
        out = way(out)
    return out if out != name else name.translate(_TRAD) + " "


def _neighbour(rng: random.Random, name: str) -> str:
    """A different company with a similar name (other core word or other trade)."""
    city = name[:2]
    rest = name[2:]
    for trade, _industry in TRADES:
        if trade in rest:
            core = rest[: rest.index(trade)]
            other_trade = rng.choice([t for t, _ in TRADES if t != trade])
            if rng.random() < 0.5:
                return f"{city}{core}{other_trade}有限公司"
            new_core = core[:-1] + rng.choice([w for w in WORDS if w != core[-1]])
            return f"{city}{new_core}{trade}有限公司"
    return name + "分公司"


def variant_pairs(n: int, seed: int = 7) -> list[tuple[str, str, bool]]:
    """`n` labelled pairs (original, other spelling, same company?) — half same, half not."""
    rng = random.Random(seed)
    companies = generate_companies(n, seed + 1)
    pairs = []
    for i, company in enumerate(companies):
        name = company["name"]
        if i % 2 == 0:
            pairs.append((name, _variant(rng, name), True))
        else:
            pairs.append((name, _neighbour(rng, name), False))
    return pairs


def measure_quality(pairs: list[tuple[str, str, bool]], min_score: int = 75) -> dict[str, float]:
    """Recall and precision of `compare_names` on labelled pairs (no database)."""

    tp = fp = fn = 0
    for a, b, same in pairs:
        match = compare_names(a, b)
        hit = match is not None and match.score >= min_score
        tp += hit and same
        fp += hit and not same
        fn += (not hit) and same
    return {
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
    }
