"""Standard Webhooks signatures, both ways: v1 (HMAC-SHA256, ``whsec_`` secret) and v1a
(ed25519, ``whsk_`` private / ``whpk_`` public key).

The signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``: always the bytes
received, never a re-serialisation. Verification is strict where the specification leaves
room: the timestamp must be an integer of seconds (no fraction, no sign) within five
minutes of the gate's clock; the id must be non-empty, short and free of ``.``; the header
may carry several space-separated signatures and one valid one suffices; a signature
scheme the gate has no key for is skipped, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gate.errors import GateError

TOLERANCE_SECONDS = 300
MAX_ID = 256
MAX_SIGNATURE_HEADER = 4096
MAX_SIGNATURES = 10
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureError(GateError):
    """A signed message that does not verify; ``reason`` says why (safe to show)."""


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(f"{what} is not valid base64") from exc


def parse_secret(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (base64 after the prefix)."""
    if not secret.startswith("whsec_"):
        raise SignatureError("an HMAC secret starts with whsec_")
    key = _b64(secret[len("whsec_") :], "the whsec_ secret")
    if len(key) < 24:
        raise SignatureError("a whsec_ secret holds at least 24 bytes")
    return key


def parse_public_key(text: str) -> Ed25519PublicKey:
    if not text.startswith("whpk_"):
        raise SignatureError("an ed25519 public key starts with whpk_")
    raw = _b64(text[len("whpk_") :], "the whpk_ key")
    if len(raw) != 32:
        raise SignatureError("a whpk_ key holds 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def parse_private_key(text: str) -> Ed25519PrivateKey:
    if not text.startswith("whsk_"):
        raise SignatureError("an ed25519 private key starts with whsk_")
    raw = _b64(text[len("whsk_") :], "the whsk_ key")
    if len(raw) == 64:  # some tools store the seed followed by the public key
        raw = raw[:32]
    if len(raw) != 32:
        raise SignatureError("a whsk_ key holds a 32-byte seed")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "whpk_" + base64.b64encode(raw).decode()


def _content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def sign_v1(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, _content(msg_id, timestamp, body), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_v1a(key: Ed25519PrivateKey, msg_id: str, timestamp: int, body: bytes) -> str:
    return "v1a," + base64.b64encode(key.sign(_content(msg_id, timestamp, body))).decode()


def signed_headers(
    msg_id: str,
    timestamp: int,
    body: bytes,
    *,
    secret: bytes | None = None,
    private_key: Ed25519PrivateKey | None = None,
) -> dict[str, str]:
    """The three ``webhook-*`` headers for a message, signed with every key given."""
    signatures = []
    if private_key is not None:
        signatures.append(sign_v1a(private_key, msg_id, timestamp, body))
    if secret is not None:
        signatures.append(sign_v1(secret, msg_id, timestamp, body))
    if not signatures:
        raise SignatureError("nothing to sign with")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


@dataclass(frozen=True, slots=True)
class Verifier:
    """Checks incoming signed messages against the keys the gate trusts."""

    secret: bytes | None = None
    public_key: Ed25519PublicKey | None = None
    tolerance: int = TOLERANCE_SECONDS

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> tuple[str, str]:
        """Returns (webhook id, scheme that verified: ``v1`` or ``v1a``).

        Raises SignatureError naming what is wrong: a missing or malformed header, a stale
        or future timestamp, or no signature made by a trusted key.
        """
        msg_id = headers.get("webhook-id")
        stamp = headers.get("webhook-timestamp")
        header = headers.get("webhook-signature")
        if not msg_id or stamp is None or not header:
            raise SignatureError("webhook-id, webhook-timestamp and webhook-signature are required")
        if len(msg_id) > MAX_ID or "." in msg_id or not msg_id.isprintable():
            raise SignatureError(
                "webhook-id must be printable, without '.', at most 256 characters"
            )
        if not _TIMESTAMP.fullmatch(stamp):
            raise SignatureError("webhook-timestamp must be whole seconds since the epoch")
        timestamp = int(stamp)
        if abs(now - timestamp) > self.tolerance:
            raise SignatureError("webhook-timestamp is outside the 5-minute tolerance")
        if len(header) > MAX_SIGNATURE_HEADER:
            raise SignatureError("webhook-signature is too long")
        content = _content(msg_id, timestamp, body)
        expected_v1 = (
            None if self.secret is None else hmac.new(self.secret, content, hashlib.sha256).digest()
        )
        shared_only = False  # a v1 signature given where no secret is trusted
        for part in header.split(" ")[:MAX_SIGNATURES]:
            scheme, _, value = part.partition(",")
            shared_only = shared_only or (scheme == "v1" and expected_v1 is None)
            try:
                signature = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                continue
            if scheme == "v1" and expected_v1 is not None:
                if hmac.compare_digest(expected_v1, signature):
                    return msg_id, "v1"
            elif scheme == "v1a" and self.public_key is not None and len(signature) == 64:
                try:
                    self.public_key.verify(signature, content)
                except InvalidSignature:
                    continue
                return msg_id, "v1a"
        if shared_only and self.public_key is not None:
            raise SignatureError(
                "v1 (shared secret) signatures are not accepted where the office's key is"
                " configured: sign v1a with the office's key"
            )
        raise SignatureError("no valid signature by a trusted key")
