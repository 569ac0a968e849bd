"""Attack15: an operator's HTTP Basic credentials, cached by a browser, carried a cross-site
form POST through to the API's actions.

A browser that has been given an operator's name and password for the gate (a Basic prompt,
or ``http://ops:...@gate:8080/`` typed once) sends them again with every request to the
gate's origin, whichever page makes the request: an HTML form on any other site can POST to
``/api/v1/shipments/S1/cancel`` (a "simple" request, no preflight) and the browser attaches
the cached ``Authorization: Basic``. The page's cookie is checked for its CSRF token and its
origin; Basic was not checked at all, so the form cancelled the shipment.

A Basic-authenticated change that carries a browser's marks of another origin (``Origin``
not the gate's, or ``Sec-Fetch-Site`` other than ``same-origin``/``none``) is refused now;
API clients (which send neither) are unaffected.
"""

from __future__ import annotations

import pytest

from tests.service.harness import OPERATOR, Gate


def _headers(**extra: str) -> dict[str, str]:
    return {"Authorization": OPERATOR, "Content-Type": "application/x-www-form-urlencoded", **extra}


async def _state(gate: Gate) -> str:
    status, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert 200 == status, doc
    return str(doc["state"])


@pytest.mark.parametrize(
    "marks",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Referer": "https://evil.example/x"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["origin-and-fetch-site", "origin", "null-origin", "fetch-site", "same-site"],
)
async def test_a_cross_site_form_with_cached_basic_credentials_changes_nothing(
    gate: Gate, marks: dict[str, str]
) -> None:
    await gate.create("S1", "D1")
    url = gate.url + "/api/v1/shipments/S1/cancel"
    async with gate.session.post(url, data=b"", headers=_headers(**marks)) as r:
        assert 403 == r.status, await r.text()
    assert "open" == await _state(gate)


async def test_basic_from_the_gates_own_origin_or_a_plain_client_still_works(gate: Gate) -> None:
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    own = gate.url  # http://127.0.0.1:port: what a browser on the gate's own page sends
    url = gate.url + "/api/v1/shipments/S1/cancel"
    marks = {"Origin": own, "Sec-Fetch-Site": "same-origin"}
    async with gate.session.post(url, headers={"Authorization": OPERATOR, **marks}) as r:
        assert 200 == r.status, await r.text()
    # A client that is not a browser sends no Origin and no Sec-Fetch-Site.
    status, doc = await gate.call("POST", "/api/v1/shipments/S2/cancel", auth=OPERATOR)
    assert 200 == status, doc
    # Reads are not changes: a GET with cross-site marks is answered as before.
    async with gate.session.get(
        gate.url + "/api/v1/shipments/S1",
        headers={"Authorization": OPERATOR, "Sec-Fetch-Site": "cross-site"},
    ) as r:
        assert 200 == r.status, await r.text()
