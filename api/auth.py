"""API keys and roles.

Keys are kept only as SHA-256 hashes (an API key is 32 random bytes, so a plain hash is safe to
store; a leaked keys file does not give a working key). They come from ``DIDENG_API_KEYS``
(``"role:sha256hex:name"``) and from a TOML keys file::

    [[key]]
    name = "规划科"
    role = "planner"
    sha256 = "9f86d0…"

A request carries its key in the ``X-API-Key`` header (QGIS: an "API Header" authentication
configuration) or as ``Authorization: Bearer <key>``. No key means the ``public`` role; an
unknown key is refused (401) rather than silently treated as public.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from gis.access import Role
from gis.errors import AuthenticationError, ValidationError

__all__ = ["DEMO_KEYS", "PLACEHOLDER_KEYS", "Caller", "KeyRing", "caller", "hash_key",
           "new_key"]

#: keys nobody should use in production; refused there
PLACEHOLDER_KEYS = ("changeme", "change-me", "secret", "password", "test", "dev", "demo",
                    "demo-planner", "demo-admin")
#: development keys of the demo county (``dideng serve`` on the demo), never in production
DEMO_KEYS = {"demo-planner": Role.planner, "demo-admin": Role.admin}

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="API 密钥 / API key (planner or admin role)")


def hash_key(key: str) -> str:
    """The SHA-256 hex digest under which a key is stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random key (shown once to its holder, stored only as its hash)."""
    return "dd_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Caller:
    """Who is asking: a role and the key's name (for the import log)."""

    role: Role
    name: str = "public"


class KeyRing:
    """The known key hashes and their roles."""

    def __init__(self, entries: dict[str, Caller] | None = None) -> None:
        self._entries = dict(entries or {})

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def load(cls, *, keys: list[str] | None = None, keys_file: Path | None = None,
             demo: bool = False, production: bool = False) -> KeyRing:
        entries: dict[str, Caller] = {}
        for item in keys or []:
            role, digest, name = [*str(item).split(":", 2), "", ""][:3]
            cls._add(entries, role, digest, name or role, "DIDENG_API_KEYS")
        if keys_file is not None:
            try:
                data = tomllib.loads(Path(keys_file).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ValidationError(f"无法读取密钥文件 {keys_file}：{exc}",
                                      f"cannot read the keys file {keys_file}: {exc}") from None
            for k in data.get("key", []):
                cls._add(entries, str(k.get("role", "")), str(k.get("sha256", "")),
                         str(k.get("name", "")), str(keys_file))
        if demo:
            for key, role in DEMO_KEYS.items():
                entries[hash_key(key)] = Caller(role, key)
        if production:
            weak = {hash_key(k) for k in PLACEHOLDER_KEYS}
            if weak & entries.keys():
                raise ValidationError(
                    "生产环境不能使用占位密钥（如 demo-planner、changeme）；请用 dideng key new 生成",
                    "placeholder keys (such as demo-planner or changeme) are refused in "
                    "production; make real ones with `dideng key new`")
        return cls(entries)

    @staticmethod
    def _add(entries: dict[str, Caller], role: str, digest: str, name: str, where: str) -> None:
        digest = digest.strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValidationError(
                f"{where} 中的密钥应为 SHA-256 十六进制摘要（64 位），不是明文密钥",
                f"keys in {where} must be SHA-256 hex digests (64 characters), not keys")
        entries[digest] = Caller(Role.parse(role), name)

    def identify(self, key: str | None) -> Caller:
        """The caller holding ``key``; no key is the public."""
        if not key:
            return Caller(Role.public)
        digest = hash_key(key)
        for known, who in self._entries.items():
            if hmac.compare_digest(known, digest):
                return who
        raise AuthenticationError("API 密钥无效", "unknown API key")


def caller(request: Request, key: str | None = Security(api_key_header)) -> Caller:
    """The dependency every route uses to learn who is asking."""
    if not key:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            key = auth[7:].strip()
    return request.app.state.keys.identify(key)
