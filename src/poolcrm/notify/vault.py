"""NOTE-1a: channel secrets (SMTP password, robot webhooks and signing secrets) are stored
encrypted with the app secret (Fernet: AES-128-CBC + HMAC-SHA256), never shown back in full,
logged or put in an error message."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken


class SecretUnreadable(Exception):
    """The stored secrets were written under another app secret (it changed): re-enter them."""


def _fernet(app_secret: str) -> Fernet:
    key = hashlib.sha256(b"poolcrm/notify-channel-secrets\n" + app_secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(app_secret: str, secrets: Mapping[str, str]) -> str:
    if not secrets:
        return ""
    return _fernet(app_secret).encrypt(json.dumps(dict(secrets)).encode()).decode()


def unseal(app_secret: str, sealed: str) -> dict[str, str]:
    if not sealed:
        return {}
    try:
        return dict(json.loads(_fernet(app_secret).decrypt(sealed.encode())))
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("渠道密钥无法解密（应用密钥已更换），请重新填写") from exc
