"""CUS-7 precision and recall on a labelled evaluation set (issue 15): pairs of company names that
are the same legal entity written differently (they must be found, and should block) and hard
negatives that are other legal entities (they may be shown as fuzzy matches, never blocked).

    .venv/bin/python bench/dedupe_eval.py [--pairs-per-kind 200] [--seed 7]

Same entity (positives): Traditional characters, full-width letters and brackets with spaces, the
city with 市 and another legal-form suffix, the name without its city, the city in brackets at
the end, the province before the city, a development zone after the city (苏州工业园区…), and
the bare brand (an abbreviation, a fuzzy match only).
Other entities (hard negatives): the same name in another city, another trade word, a branch of
the company, a sister company (the group's holding), and a namesake brand in another city written
without suffix.

Reported: recall (positives found at the default threshold 75), exact recall (positives that
block), exact precision (of the pairs that block, how many are one entity), and hard negatives
that block (must be 0).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from opencc import OpenCC  # noqa: E402

from poolcrm.customers.names import compare_names  # noqa: E402

BRAND_CHARS = "恒通华信博雅友好创达鼎盛瑞丰金桥嘉禾启明天成新纪元宏远中科海纳万邦汇通宇航明德安泰永昌润泽"
CITIES = ("北京", "上海", "杭州", "深圳", "苏州", "广州", "成都", "武汉", "南京", "西安", "天津", "重庆")
PROVINCE_OF = {
    "杭州": "浙江",
    "深圳": "广东",
    "苏州": "江苏",
    "广州": "广东",
    "成都": "四川",
    "武汉": "湖北",
    "南京": "江苏",
    "西安": "陕西",
}
TRADES = ("科技", "信息技术", "贸易", "电子", "物流", "软件", "生物科技", "机械设备", "文化传媒", "环保工程")
SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司")
ZONES = ("工业园区", "高新区", "经济开发区")
MIN_SCORE = 75
_S2T = OpenCC("s2t")


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    same: bool
    kind: str
    must_block: bool = False


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def pairs(per_kind: int = 200, seed: int = 7) -> list[Pair]:
    rng = random.Random(seed)
    out: list[Pair] = []
    for _ in range(per_kind):
        brand = "".join(rng.sample(BRAND_CHARS, 2))
        city, other_city = rng.sample(CITIES, 2)
        trade, other_trade = rng.sample(TRADES, 2)
        suffix = rng.choice(SUFFIXES)
        base = f"{city}{brand}{trade}{suffix}"
        province = PROVINCE_OF.get(city)
        out += [
            Pair(base, _S2T.convert(base), True, "traditional", True),
            Pair(
                base,
                f"{city} {brand}{trade}{_full_width('(')}{suffix}{_full_width(')')}".replace("()", ""),
                True,
                "spacing",
                True,
            ),
            Pair(base, f"{city}市{brand}{trade}{rng.choice(SUFFIXES)}", True, "city_and_suffix", True),
            Pair(base, f"{brand}{trade}{suffix}", True, "without_city", True),
            Pair(base, f"{brand}{trade}{suffix}（{city}）", True, "bracketed_city", True),
            Pair(
                base,
                f"{province}省{city}市{brand}{trade}{suffix}"
                if province
                else f"{city}市{brand}{trade}{suffix}",
                True,
                "province_and_city",
                True,
            ),
            Pair(base, f"{city}{rng.choice(ZONES)}{brand}{trade}{suffix}", True, "development_zone", True),
            Pair(f"{city}{brand}", base, True, "abbreviation"),
            Pair(base, f"{other_city}{brand}{trade}{suffix}", False, "other_city"),
            Pair(base, f"{city}{brand}{other_trade}{suffix}", False, "other_trade"),
            Pair(base, f"{base}{other_city}分公司", False, "branch"),
            Pair(base, f"{city}{brand}投资控股集团有限公司", False, "sister_company"),
            Pair(f"{other_city}{brand}", base, False, "other_city_abbreviation"),
        ]
    return out


@dataclass
class Result:
    positives: int
    found: int
    must_block: int
    blocked_positives: int
    blocked: int
    blocked_negatives: list[Pair]
    missed: list[Pair]
    by_kind: dict[str, Counter[str]]


def evaluate(items: list[Pair]) -> Result:
    by_kind: dict[str, Counter[str]] = {}
    found = blocked_pos = blocked = 0
    blocked_neg: list[Pair] = []
    missed: list[Pair] = []
    for p in items:
        m = compare_names(p.a, p.b)
        hit = m is not None and m.score >= MIN_SCORE
        exact = m is not None and getattr(m, "exact", m.score >= 100)  # (the old code: 100 blocked)
        tally = by_kind.setdefault(p.kind, Counter())
        tally["pairs"] += 1
        tally["found"] += hit
        tally["blocked"] += exact
        blocked += exact
        if p.same:
            found += hit
            blocked_pos += exact and p.must_block
            if not hit:
                missed.append(p)
        elif exact:
            blocked_neg.append(p)
    positives = [p for p in items if p.same]
    return Result(
        positives=len(positives),
        found=found,
        must_block=sum(p.must_block for p in positives),
        blocked_positives=blocked_pos,
        blocked=blocked,
        blocked_negatives=blocked_neg,
        missed=missed,
        by_kind=by_kind,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs-per-kind", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    items = pairs(args.pairs_per_kind, args.seed)
    r = evaluate(items)
    print(f"{len(items):,} pairs: {r.positives:,} same entity, {len(items) - r.positives:,} hard negatives")
    print(f"recall (found at score >= {MIN_SCORE}): {r.found / r.positives:.2%}")
    print(f"exact recall (same-entity spellings that block): {r.blocked_positives / r.must_block:.2%}")
    true_blocks = r.blocked - len(r.blocked_negatives)
    print(
        f"exact precision (blocks that are one entity): {true_blocks / r.blocked:.2%}"
        if r.blocked
        else "no blocks"
    )
    print(f"hard negatives that block: {len(r.blocked_negatives)}")
    print(f"{'kind':26} {'pairs':>6} {'found':>6} {'blocked':>8}")
    for kind, t in r.by_kind.items():
        print(f"{kind:26} {t['pairs']:6} {t['found']:6} {t['blocked']:8}")
    for p in r.blocked_negatives[:10] + r.missed[:10]:
        print("  !", p.kind, p.a, "|", p.b, compare_names(p.a, p.b))


if __name__ == "__main__":
    main()
