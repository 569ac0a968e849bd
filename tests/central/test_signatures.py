"""Standard Webhooks signatures: published vectors, the reference library as oracle, and
every way a signature must fail."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from gate.core.signatures import (
    SignatureError,
    Verifier,
    parse_private_key,
    parse_public_key,
    parse_secret,
    public_key_text,
    sign_v1,
    signed_headers,
)

# Standard Webhooks v1 known answer, from the specification's reference library:
# standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py,
# test_sign_function.
V1_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
V1_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
V1_TS = 1614265330
V1_BODY = b'{"test": 2432232314}'
V1_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

# The Standard Webhooks repository publishes no v1a (ed25519) vectors (checked: its spec
# shows a v1a header without the key that made it, and its libraries test v1 only), so v1a
# is checked on the primitive with RFC 8032 section 7.1 TEST 1 to 3 (seed, public key,
# message, signature), through our whsk_/whpk_ key handling, and by round trips.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def whsk(seed_hex: str) -> str:
    return "whsk_" + base64.b64encode(bytes.fromhex(seed_hex)).decode()


def whpk(pk_hex: str) -> str:
    return "whpk_" + base64.b64encode(bytes.fromhex(pk_hex)).decode()


def test_v1_known_answer() -> None:
    """Our v1 signature of the specification's example equals the published one."""
    assert V1_SIGNATURE == sign_v1(parse_secret(V1_SECRET), V1_ID, V1_TS, V1_BODY)


def test_v1_known_answer_verifies() -> None:
    """The published v1 signature verifies at its own time."""
    headers = {
        "webhook-id": V1_ID,
        "webhook-timestamp": str(V1_TS),
        "webhook-signature": V1_SIGNATURE,
    }
    assert (V1_ID, "v1") == Verifier(secret=parse_secret(V1_SECRET)).verify(headers, V1_BODY, V1_TS)


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_ed25519_rfc8032_vectors_through_whsk_whpk(
    seed: str, public: str, message: str, signature: str
) -> None:
    """RFC 8032 7.1 vectors: whsk_ keys sign and whpk_ keys verify exactly as published."""
    key = parse_private_key(whsk(seed))
    assert signature == key.sign(bytes.fromhex(message)).hex()
    assert whpk(public) == public_key_text(key)
    parse_public_key(whpk(public)).verify(bytes.fromhex(signature), bytes.fromhex(message))


@settings(max_examples=50, deadline=None)
@given(
    body=st.binary(max_size=300),
    msg_id=st.from_regex(r"msg_[A-Za-z0-9]{1,30}", fullmatch=True),
    ts=st.integers(1_000_000_000, 4_000_000_000),
)
def test_v1_matches_reference_library(body: bytes, msg_id: str, ts: int) -> None:
    """Our v1 signatures equal the standardwebhooks library's for any id, time and body."""
    text = body.decode("latin-1")
    expected = Webhook(V1_SECRET).sign(msg_id, dt.datetime.fromtimestamp(ts, dt.UTC), text)
    assert expected == sign_v1(parse_secret(V1_SECRET), msg_id, ts, text.encode())


def test_v1a_round_trip_and_multiple_signatures() -> None:
    """A v1a signature verifies; among several signatures one valid one suffices."""
    key = parse_private_key(whsk(RFC8032[0][0]))
    verifier = Verifier(public_key=key.public_key())
    headers = signed_headers("msg_1", 1_700_000_000, b"{}", private_key=key)
    headers["webhook-signature"] = "v1,AAAA v2,xyz " + headers["webhook-signature"] + " v1a,AAAA"
    assert ("msg_1", "v1a") == verifier.verify(headers, b"{}", 1_700_000_010)


NOW = 1_700_000_000
SECRET = parse_secret("whsec_" + base64.b64encode(b"k" * 32).decode())
OTHER = parse_secret("whsec_" + base64.b64encode(b"o" * 32).decode())
KEY = parse_private_key(whsk(RFC8032[1][0]))
OTHER_KEY = parse_private_key(whsk(RFC8032[2][0]))


def good(body: bytes = b'{"a":1}', ts: int = NOW) -> dict[str, str]:
    return signed_headers("msg_x", ts, body, secret=SECRET, private_key=KEY)


BAD = [
    ("no signature", {**good(), "webhook-signature": ""}, "required"),
    ("no id", {k: v for k, v in good().items() if k != "webhook-id"}, "required"),
    (
        "bad signature",
        {**good(), "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
        "no valid",
    ),
    ("another HMAC key", signed_headers("msg_x", NOW, b'{"a":1}', secret=OTHER), "no valid"),
    (
        "another ed25519 key",
        signed_headers("msg_x", NOW, b'{"a":1}', private_key=OTHER_KEY),
        "no valid",
    ),
    ("stale timestamp", good(ts=NOW - 301), "tolerance"),
    ("future timestamp", good(ts=NOW + 301), "tolerance"),
    ("fractional timestamp", {**good(), "webhook-timestamp": f"{NOW}.5"}, "whole seconds"),
    ("negative timestamp", {**good(), "webhook-timestamp": f"-{NOW}"}, "whole seconds"),
    ("id with a dot", {**good(), "webhook-id": "msg.x"}, "without '.'"),
    ("not base64", {**good(), "webhook-signature": "v1,@@@ v1a,###"}, "no valid"),
    (
        "unknown scheme only",
        {**good(), "webhook-signature": "v2," + good()["webhook-signature"].split(" v1,")[1]},
        "no valid",
    ),
]


@pytest.mark.parametrize(("headers", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_signatures_are_refused(headers: dict[str, str], reason: str) -> None:
    """Each malformed, stale, future or foreign signature is refused, saying why."""
    verifier = Verifier(secret=SECRET, public_key=KEY.public_key())
    with pytest.raises(SignatureError, match=reason):
        verifier.verify(headers, b'{"a":1}', NOW)


def test_body_is_verified_byte_for_byte() -> None:
    """Re-serialised JSON (a space added) no longer verifies: the raw bytes are what count."""
    verifier = Verifier(secret=SECRET)
    with pytest.raises(SignatureError):
        verifier.verify(good(), b'{"a": 1}', NOW)


def test_keys_are_checked() -> None:
    """Secrets and keys without their prefix, or of the wrong size, are refused."""
    for bad in ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAA", "whsec_!!"):
        with pytest.raises(SignatureError):
            parse_secret(bad)
    with pytest.raises(SignatureError):
        parse_public_key("whpk_AAAA")
    with pytest.raises(SignatureError):
        parse_private_key(whpk(RFC8032[0][1]))
