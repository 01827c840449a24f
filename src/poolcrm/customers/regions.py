"""The place prefixes a company name may start with (provinces, cities, autonomous regions), which
CUS-7 sees through."""

from __future__ import annotations

_PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]


_CITIES = [
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "武汉",
    "西安",
    "长沙",
    "郑州",
    "济南",
    "青岛",
    "大连",
    "沈阳",
    "哈尔滨",
    "长春",
    "厦门",
    "福州",
    "宁波",
    "无锡",
    "合肥",
    "南昌",
    "昆明",
    "贵阳",
    "南宁",
    "太原",
    "石家庄",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "呼和浩特",
    "拉萨",
    "海口",
    "三亚",
    "珠海",
    "佛山",
    "东莞",
    "中山",
    "惠州",
    "温州",
    "绍兴",
    "嘉兴",
    "金华",
    "台州",
    "常州",
    "南通",
    "扬州",
    "徐州",
    "烟台",
    "潍坊",
    "唐山",
    "保定",
    "洛阳",
    "宜昌",
    "襄阳",
    "株洲",
    "岳阳",
    "绵阳",
    "柳州",
    "桂林",
    "泉州",
    "漳州",
]


_AUTONOMOUS = {
    "内蒙古": "自治区",
    "广西": "壮族自治区",
    "西藏": "自治区",
    "宁夏": "回族自治区",
    "新疆": "维吾尔自治区",
    "香港": "特别行政区",
    "澳门": "特别行政区",
}


def _region_prefixes() -> tuple[str, ...]:
    out: set[str] = set()
    for p in _PROVINCES:
        out |= {p, p + "省", p + "市", p + _AUTONOMOUS.get(p, "省")}
        if p in _AUTONOMOUS:
            out.add(p + "自治区")
    for c in _CITIES:
        out |= {c, c + "市"}
    return tuple(sorted(out, key=len, reverse=True))


REGION_PREFIXES: tuple[str, ...] = _region_prefixes()


def _region_bases() -> dict[str, str]:
    """Every prefix and the place it names (`北京市` → `北京`, `广西壮族自治区` → `广西`)."""
    bases: dict[str, str] = {}
    for base in sorted([*_PROVINCES, *_CITIES], key=len):
        for prefix in REGION_PREFIXES:
            if prefix.startswith(base) and prefix not in bases:
                bases[prefix] = base
    return bases


REGION_BASE: dict[str, str] = _region_bases()
"""CUS-7: the place each prefix names, to compare two names' places."""
