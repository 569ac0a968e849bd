"""Review14: AI (03), the GTIN of a made-to-order trade item, went the way attack13's ITIPs
went: the decoder keys only (01), so ``(01) plain (03) gyro`` was an accepted read of the
plain item, and ``(00) pallet (03) gyro`` counted the manifest's plain goods. GS1 allows
(03) beside neither (01) nor (02) (General Specifications 4.14, invalid pairs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.cli.simulate import sscc18
from gate.core.identifiers import decode
from gate.errors import InvalidCode
from tests.service.harness import gtin_with

CONTROL = "9.A.4"


@pytest.mark.parametrize(
    "form", ["(01){plain}(03){gyro}", "01{plain}03{gyro}", "]C101{plain}03{gyro}"]
)
def test_an_item_label_with_a_made_to_order_gtin_is_refused(demo_config: Path, form: str) -> None:
    """(01) an unlisted item with (03) naming a gyro, in every form: refused, naming both."""
    gyro, plain = gtin_with(demo_config, CONTROL), gtin_with(demo_config, "")
    with pytest.raises(InvalidCode, match=re.escape("AI (03)")):
        decode(form.format(plain=plain, gyro=gyro))


def test_a_made_to_order_gtin_and_other_contents_on_a_pallet_label_are_refused(
    demo_config: Path,
) -> None:
    """(00) pallet (02) plain (03) gyro: one label, two goods: refused."""
    gyro, plain = gtin_with(demo_config, CONTROL), gtin_with(demo_config, "")
    pallet = sscc18(3, "4012345", 1)
    with pytest.raises(InvalidCode, match="two goods"):
        decode(f"(00){pallet}(02){plain}(03){gyro}")
