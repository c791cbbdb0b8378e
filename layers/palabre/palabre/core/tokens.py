"""Personal links: signed, carrying only opaque ids, a purpose and an expiry.

HMAC keys come from the Secrets Manager secret ({"current": ..., "previous": [...]}),
read through Powertools parameters and cached. The current key signs; every key
verifies, so rotating the secret never breaks a link already sent. A token signed for
one purpose (answer, vote, unsubscribe) is refused for any other. A secret without a
usable "current" key still verifies with the keys it has, and refuses to sign
(LinkSecretUnusable): a deployment fault, told apart from a bad link.

Member ids are derived from addresses (core.models.member_id), so a link carries each
member id sealed (Signer.hide): its reader cannot check it against a guessed address.
Links minted before carry them plain, and still open (Signer.member).
"""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

# payload.signature, both unpadded URL-safe base64; a compressed payload starts with "."
_SHAPE = re.compile(r"\.?[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)")
SEALED = "~"
"""what a sealed id starts with (Signer.seal); no member id does"""
_IV = 12
_LONGEST_SEALED = 256
# Payloads up to this size are signed as they are: zlib would seldom shorten a few opaque
# ids, and trying costs more than the rest of signing (it allocates ~256 KiB each time).
_COMPRESS_FROM = 200


class Purpose(StrEnum):
    ANSWER = "answer"
    VOTE = "vote"
    UNSUBSCRIBE = "unsubscribe"
    EXPORT = "export"
    SPACE = "space"
    STAR = "star"
    CANCEL = "cancel"
    """an admin's link to cancel a member's question (the weekly report carries it)"""
    RESUME = "resume"
    """an admin's link to resume sending after the deliverability guard paused it"""
    RSVP = "rsvp"
    """a member's response to a live session's invitation (yes, no, maybe)"""
    REPLY = "reply"
    """the address a reply to a theme's email goes to (Signer.reply_token): answering"""
    ATTENDANCE = "attendance"
    """an admin's link to tick who came to a live session"""
    ADMIN = "admin"
    """an admin's link to the animators' space (palabre.admin)"""


CURRENT_KEY_ONLY = frozenset({Purpose.ADMIN})
"""the links a key rotation revokes (the others verify under every key the secret holds)"""


class InvalidToken(Exception):
    """Forged, unknown, expired or for another purpose: the caller cannot tell which."""


class LinkSecretUnusable(Exception):
    """The link secret cannot serve: not JSON, no key at all, or (to sign) no "current"
    key. The deployment's fault, never the reader's: logged as an error, and a page says
    the service is unavailable rather than that the link is bad."""


@dataclass(frozen=True)
class Claims:
    purpose: Purpose
    ids: tuple[str, ...]
    expires: datetime


@dataclass(frozen=True)
class ReplyClaims:
    """What a reply address names: a member, a theme (by its reference, theme_ref), until
    when it may be answered by reply."""

    member_id: str
    theme_ref: str
    expires: datetime


# A reply address's token lives in an email address's local part: RFC 5321 allows 64
# octets, and mail servers may lower-case it. A signed link's JSON and base64 (a 64
# character theme id alone, plus a sealed member id) would not fit, so the token is
# binary, in lower-case base32: a 10-byte MAC, the member id (15 bytes) encrypted under a
# keystream drawn from that MAC (SIV, as Signer.seal), a 5-byte reference of the theme
# (theme_ref) and the expiry in seconds (4 bytes): 34 bytes, 55 characters, and
# "reply+" makes 61.
# An unsubscribe address (unsubscribe_token) is built alike, the theme's reference
# replaced by the scope (1 byte): 30 bytes, 48 characters, and "unsubscribe+" makes 60.
_REPLY_MAC = 10
_REPLY_MEMBER = 15
_THEME_REF = 5
_REPLY_BYTES = _REPLY_MAC + _REPLY_MEMBER + _THEME_REF + 4
_MEMBER_ID = re.compile(r"m[a-z2-7]{24}")
_BASE32 = re.compile(r"[a-z2-7]+")
_SCOPES = ("nothing", "no_digest")
"""what an unsubscribe address stops, by its byte (core.models.Subscription's values)"""


@dataclass(frozen=True)
class UnsubscribeClaims:
    """What an unsubscribe address names: a member, and what it stops."""

    member_id: str
    scope: str


def theme_ref(theme_id: str) -> str:
    """The short reference of a theme a reply address carries (a theme id is up to 64
    characters): found again among the member's prompts."""
    return hashlib.sha256(b"palabre.theme\0" + theme_id.encode()).digest()[:_THEME_REF].hex()


class Signer:
    def __init__(self, keys: Sequence[str], *, signs: bool = True) -> None:
        """`keys` oldest first; the last one signs, unless `signs` is False (a secret
        that has lost its "current" key: links already sent still verify)."""
        if not keys or not all(keys):
            raise ValueError("at least one non-empty signing key is needed")
        self.keys = list(keys)
        self.signs = signs
        # The purpose is the salt: a different derived key, not just a field to check.
        # An admin's link is verified with the current key only: rotating the key revokes
        # every admin link at once, while members' links signed before still open.
        self._serializers = {
            purpose: URLSafeSerializer(
                self.keys[-1:] if purpose in CURRENT_KEY_ONLY else self.keys,
                salt=f"palabre.{purpose.value}",
            )
            for purpose in Purpose
        }
        # itsdangerous derives the signing key again for every token; a digest of a
        # thousand links derives it once per purpose, and copies the keyed HMAC.
        self._macs = {
            purpose: hmac.new(
                serializer.make_signer(serializer.salt).derive_key(), digestmod=hashlib.sha1
            )
            for purpose, serializer in self._serializers.items()
        }

        # Sealing keys, newest first: derived, so that no sealed id shares a key with a MAC.
        self._seal_keys = [
            hmac.new(key.encode(), b"palabre.seal", hashlib.sha256).digest()
            for key in reversed(self.keys)
        ]
        # Reply and unsubscribe addresses' keys, newest first (reply_token,
        # unsubscribe_token): one purpose's address never opens as the other's.
        self._reply_keys = [
            hmac.new(key.encode(), b"palabre.reply", hashlib.sha256).digest()
            for key in reversed(self.keys)
        ]
        self._unsubscribe_keys = [
            hmac.new(key.encode(), b"palabre.unsubscribe-address", hashlib.sha256).digest()
            for key in reversed(self.keys)
        ]

    def reply_token(self, member_id: str, theme_id: str, expires: datetime) -> str:
        """The local part, after "reply+", of the address a member replies to about a
        theme: 55 lower-case base32 characters (see _REPLY_BYTES)."""
        ref = bytes.fromhex(theme_ref(theme_id))
        return self._address_token(self._reply_keys, member_id, ref, expires)

    def reply_claims(self, token: str, now: datetime) -> ReplyClaims:
        """What `reply_token` wrote, in any case (mail servers may change it), under any
        key the secret holds, before its expiry; InvalidToken otherwise."""
        member_id, ref, expires = self._address_claims(self._reply_keys, token, _THEME_REF, now)
        return ReplyClaims(member_id, ref.hex(), expires)

    def unsubscribe_token(self, member_id: str, scope: str, expires: datetime) -> str:
        """The local part, after "unsubscribe+", of the address a mail client writes to
        when its reader unsubscribes (List-Unsubscribe's mailto:): 48 characters."""
        return self._address_token(
            self._unsubscribe_keys, member_id, bytes([_SCOPES.index(scope)]), expires
        )

    def unsubscribe_claims(self, token: str, now: datetime) -> UnsubscribeClaims:
        """What `unsubscribe_token` wrote, as `reply_claims` reads a reply address."""
        member_id, scope, _ = self._address_claims(self._unsubscribe_keys, token, 1, now)
        if scope[0] >= len(_SCOPES):
            raise InvalidToken
        return UnsubscribeClaims(member_id, _SCOPES[scope[0]])

    def _address_token(
        self, keys: list[bytes], member_id: str, payload: bytes, expires: datetime
    ) -> str:
        """A token that fits an address's local part: a 10-byte MAC, the member id
        encrypted under a keystream drawn from it, `payload`, the expiry in seconds."""
        self._can_sign()
        if not _MEMBER_ID.fullmatch(member_id):
            raise ValueError("an address carries a member id of core.models.member_id")
        member = base64.b32decode(member_id[1:].upper())
        seconds = int(expires.timestamp()).to_bytes(4, "big")
        key = keys[0]
        mac = _mac(key, b"mac", member, payload, seconds)[:_REPLY_MAC]
        hidden = _xor(member, _mac(key, b"member", mac)[:_REPLY_MEMBER])
        return base64.b32encode(mac + hidden + payload + seconds).decode().rstrip("=").lower()

    def _address_claims(
        self, keys: list[bytes], token: str, payload_size: int, now: datetime
    ) -> tuple[str, bytes, datetime]:
        """The member id, payload and expiry `_address_token` wrote with one of `keys`;
        InvalidToken for any other text, or once expired."""
        text = token.lower()
        size = _REPLY_MAC + _REPLY_MEMBER + payload_size + 4
        if len(text) != -(-size * 8 // 5) or not _BASE32.fullmatch(text):
            raise InvalidToken
        data = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
        # The last character's unused bits must be zero: only the text that was written.
        if base64.b32encode(data).decode().rstrip("=").lower() != text:
            raise InvalidToken
        mac, hidden = data[:_REPLY_MAC], data[_REPLY_MAC : _REPLY_MAC + _REPLY_MEMBER]
        payload, seconds = data[_REPLY_MAC + _REPLY_MEMBER : -4], data[-4:]
        for key in keys:
            member = _xor(hidden, _mac(key, b"member", mac)[:_REPLY_MEMBER])
            if hmac.compare_digest(_mac(key, b"mac", member, payload, seconds)[:_REPLY_MAC], mac):
                expires = datetime.fromtimestamp(int.from_bytes(seconds, "big"), UTC)
                if now >= expires:
                    raise InvalidToken
                member_id = "m" + base64.b32encode(member).decode().rstrip("=").lower()
                return member_id, payload, expires
        raise InvalidToken

    def seal(self, value: str, *context: str) -> str:
        """`value` (an anonymous answer's author) encrypted for a link whose other ids are
        `context`: a signed payload is only base64, and a member id is derived from an
        address anyone may know. Deterministic (every attempt at an email carries the
        same link), a different text for each context, and checked when unsealed: the
        synthetic IV is a MAC of value and context (SIV built on HMAC-SHA256)."""
        self._can_sign()
        key, plain, where = self._seal_keys[0], value.encode(), _joined(context)
        iv = _mac(key, b"iv", where, plain)[:_IV]
        return (
            SEALED + base64_encode(iv + _xor(plain, _stream(key, iv, where, len(plain)))).decode()
        )

    def hide(self, member_id: str, purpose: Purpose, *context: str) -> str:
        """A member id as a link of `purpose` carries it, among the `context` ids the
        link names before it: sealed, a different text in every kind of link."""
        return self.seal(member_id, f"{purpose.value}.member", *context)

    def member(self, value: str, purpose: Purpose, *context: str) -> str:
        """The member id `hide` sealed; a plain one (a link minted before ids were
        sealed) as it is; InvalidToken for anything else."""
        return self.opened(value, f"{purpose.value}.member", *context)

    def member_of(self, token: str, now: datetime, purpose: Purpose = Purpose.SPACE) -> str:
        """The member a link of one id (a space's, an admin space's) is for; InvalidToken
        else."""
        claims = self.verify(purpose, token, now)
        if len(claims.ids) != 1:
            raise InvalidToken
        return self.member(claims.ids[0], purpose)

    def context_and_member(self, purpose: Purpose, token: str, now: datetime) -> tuple[str, str]:
        """What a link of two ids carries — its context (a theme, a pause) and the member
        sealed with it (hide) — the member unsealed; InvalidToken for anything else."""
        claims = self.verify(purpose, token, now)
        if len(claims.ids) != 2:
            raise InvalidToken
        context, member = claims.ids
        return context, self.member(member, purpose, context)

    def opened(self, value: str, *context: str) -> str:
        """An id as a link carries it: unsealed when sealed (an anonymous answer's
        author), else as it is."""
        return self.unseal(value, *context) if value.startswith(SEALED) else value

    def unseal(self, sealed: str, *context: str) -> str:
        """What `seal` sealed with these `context` ids, under any key the secret still
        holds; InvalidToken otherwise."""
        if not sealed.startswith(SEALED):
            raise InvalidToken
        try:
            data = base64_decode(sealed[len(SEALED) :])
        except BadData:
            raise InvalidToken from None
        iv, body, where = data[:_IV], data[_IV:], _joined(context)
        if len(iv) != _IV or len(body) > _LONGEST_SEALED:
            raise InvalidToken
        for key in self._seal_keys:
            plain = _xor(body, _stream(key, iv, where, len(body)))
            if hmac.compare_digest(_mac(key, b"iv", where, plain)[:_IV], iv):
                return plain.decode("utf-8", errors="replace")
        raise InvalidToken

    def _can_sign(self) -> None:
        if not self.signs:
            raise LinkSecretUnusable(
                'the link secret has no "current" key: new links cannot be signed'
            )

    def _serializer(self, purpose: Purpose) -> URLSafeSerializer:
        return self._serializers[purpose]

    def sign(self, purpose: Purpose, ids: Sequence[str], expires: datetime) -> str:
        """What itsdangerous's dumps() writes, byte for byte, except that a short payload
        is never compressed (its loads() reads both; tests/unit/test_tokens.py)."""
        self._can_sign()
        claims = [*ids, int(expires.timestamp())]
        text = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
        if len(text) < _COMPRESS_FROM:
            payload = base64_encode(text)
        else:
            payload = self._serializers[purpose].dump_payload(claims)
        mac = self._macs[purpose].copy()
        mac.update(payload)
        return (payload + b"." + base64_encode(mac.digest())).decode()

    def verify(self, purpose: Purpose, token: str, now: datetime) -> Claims:
        if len(token) > 512 or not _canonical(token):
            raise InvalidToken
        try:
            payload = self._serializer(purpose).loads(token)
        except BadData:
            raise InvalidToken from None
        if (
            not isinstance(payload, list)
            or len(payload) < 2
            or type(payload[-1]) is not int
            or not all(isinstance(i, str) for i in payload[:-1])
        ):
            raise InvalidToken
        try:
            expires = datetime.fromtimestamp(payload[-1], UTC)
        except (OverflowError, OSError, ValueError):  # beyond what a datetime holds
            raise InvalidToken from None
        if now >= expires:
            raise InvalidToken
        return Claims(purpose=purpose, ids=tuple(payload[:-1]), expires=expires)


def _joined(parts: Sequence[str]) -> bytes:
    return json.dumps(list(parts), ensure_ascii=False).encode()


def _mac(key: bytes, *parts: bytes) -> bytes:
    # one-shot HMAC (OpenSSL's, in C): a digest seals two ids in each of its many links
    message = b"".join(len(part).to_bytes(4, "big") + part for part in parts)
    return hmac.digest(key, message, "sha256")


def _stream(key: bytes, iv: bytes, context: bytes, length: int) -> bytes:
    """`length` bytes of keystream unique to the IV: HMAC-SHA256 in counter mode."""
    blocks = (length + 31) // 32
    return b"".join(_mac(key, b"ks", iv, context, n.to_bytes(4, "big")) for n in range(blocks))


def _xor(data: bytes, stream: bytes) -> bytes:
    size = len(data)
    return (int.from_bytes(data) ^ int.from_bytes(stream[:size])).to_bytes(size)


def _canonical(token: str) -> bool:
    """Only the exact text `sign` wrote: base64 decoding ignores padding, stray
    characters and a last character's unused bits, so without this check several
    spellings of one token would verify."""
    shape = _SHAPE.fullmatch(token)
    if shape is None:
        return False
    signature = shape.group(1)
    try:
        return base64_encode(base64_decode(signature)).decode() == signature
    except BadData:
        return False


def keys_from_secret(secret: dict[str, Any]) -> list[str]:
    return [*_previous(secret), secret["current"]]


def _previous(secret: dict[str, Any]) -> list[str]:
    previous = secret.get("previous") or []
    if isinstance(previous, str):
        previous = [previous]
    if not isinstance(previous, list) or not all(isinstance(k, str) and k for k in previous):
        raise LinkSecretUnusable('the link secret\'s "previous" is not a list of keys')
    return previous


@lru_cache(maxsize=4)
def signer_from_secret(text: str | bytes) -> Signer:
    """The signer the secret's text allows: every key verifies, "current" signs; without
    a "current" key, a signer that verifies only; LinkSecretUnusable without any key.
    Kept per text: a POST checks its link before its page opens it again, and building a
    signer derives every purpose's keys."""
    try:
        secret = json.loads(text)
    except ValueError:
        raise LinkSecretUnusable("the link secret is not JSON") from None
    if not isinstance(secret, dict):
        raise LinkSecretUnusable("the link secret is not a JSON object")
    previous, current = _previous(secret), secret.get("current")
    if isinstance(current, str) and current:
        return Signer([*previous, current])
    if not previous:
        raise LinkSecretUnusable("the link secret holds no key")
    return Signer(previous, signs=False)


def signer_for(secret_arn: str, secrets: Any) -> Signer:
    """The signer for the link secret; `secrets` is a Powertools SecretsProvider (its
    text, parsed here: a malformed secret is LinkSecretUnusable, not any error)."""
    return signer_from_secret(secrets.get(secret_arn, max_age=300))
