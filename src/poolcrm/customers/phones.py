"""Phone numbers (CUS-6): PRC landlines and mobiles validated, stored as E.164, shown formatted; the
duplicate check's phone key (CUS-7)."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from poolcrm.customers.names import half_width

PHONE_PROBLEM = "电话号码格式不正确（固定电话请带区号，如 010-62345678；手机 11 位）"


def _parse(raw: str) -> phonenumbers.PhoneNumber | None:
    text = half_width(str(raw)).strip()
    text = re.sub(r"(转|ext\.?|x)\s*\d+$", "", text, flags=re.IGNORECASE).strip()
    if not text:
        return None
    try:
        return phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None


def validate_phone(raw: str) -> tuple[str | None, str | None]:
    """CUS-6: (E.164, None) for a valid number, (None, problem) otherwise."""
    number = _parse(raw)
    if number is None or not phonenumbers.is_valid_number(number):
        return None, PHONE_PROBLEM
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def phone_key(raw: str | None) -> str | None:
    """The E.164 form of a phone number, or None when it is not one."""
    if not raw:
        return None
    text = str(raw)
    if text.startswith("+") and text[1:].isdigit():
        return text
    e164, _problem = validate_phone(text)
    return e164


def is_mobile(value: str) -> bool:
    """CUS-6: a PRC mobile number."""
    number = _parse(value)
    if number is None or number.country_code != 86:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@lru_cache(maxsize=65536)  # every list row shows one; parsing costs ~50 µs
def format_phone(value: str) -> str:
    """E.164 → how people write it (`138 0013 8000`, `010 6234 5678`)."""
    number = _parse(value)
    if number is None:
        return value
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else (phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    )
    return str(phonenumbers.format_number(number, fmt))
