"""Attack18: how many ordinary civil end uses the vocabulary holds, against a reviewed list.

``tests/data/end_use_civil.txt`` holds 700 civil end-use texts (its header says where they
came from). Each one the built-in vocabulary reads as WMD, missile delivery or military use is
a false hold: a line held for ``catch_all`` that the central office must look at. The ones
listed here were reviewed and accepted; a change that holds any other civil text, or stops
holding one of these, fails this test and must update the list with its reason.

Counts (attack18): main at 72168f4 held 34 of the 700; this branch holds 34, not the same
ones: Fateh and Shaheen alone (a family dental clinic, a hospital: common names) and the
stub axle "fusée d'essieu" (read with its apostrophe dropped) are no longer held, and three
follow from attack18's readings: "Rock et Folk" and "Miss Iles" join into "rocket" and
"missiles" (words split by a space), and the Storm Shadow action figure names the missile.
"""

from __future__ import annotations

from pathlib import Path

from gate.core.end_use import Vocabulary

CORPUS = Path(__file__).resolve().parents[1] / "data" / "end_use_civil.txt"

#: The civil texts held, each with the term found, grouped by why the hold is accepted.
ACCEPTED: dict[str, str] = {
    # A word that names a delivery system counts wherever it stands (end_use.py's essay): the
    # ship, the salad, the bee, the toy and the nylon are held with the vehicle.
    "cruise ship provisioning": "cruise",
    "cruise ship galley equipment": "cruise",
    "spare parts for cruise ship laundry": "cruise",
    "river cruise vessel interior refit": "cruise",
    "cruise control module for delivery vans": "cruise",
    "adaptive cruise control radar calibration": "cruise",
    "cruise ship entertainment systems": "cruise",
    "rocket salad for restaurant supply": "rocket",
    "rocket leaves, organic, for catering": "rocket",
    "Rocketbook reusable notebooks for schools": "rocket",
    "rocket stove for camping retailer": "rocket",
    "Rocket League merchandise": "rocket",
    "espresso machine Rocket Appartamento for cafe": "rocket",
    "rocket lettuce seeds for market gardens": "rocket",
    "toy rockets and model kits for hobby shop": "rockets",
    "Raketenofen für Outdoor-Händler": "raketenofen",
    "drone bee colony for apiary research": "drone",
    "honey bee queens and drones for breeding": "drones",
    "camera drone for real estate photography": "drone",
    "agricultural drone for crop spraying": "drone",
    "drone for roof inspection by insurance surveyor": "drone",
    "delivery drone trial for pharmacy": "drone",
    "drone racing club equipment": "drone",
    "bagpipe drone reeds for music shop": "drone",
    "quadcopter toys for toy shop": "quadcopter",
    "ballistic nylon luggage manufacturing": "ballistic",
    "ballistic stretching classes at gym": "ballistic",
    "Ballistic Recovery Systems parachutes for ultralights": "ballistic",
    # The foreign stems: "ballist" (a brand of gun oil), Polish "drona" (an Indian name).
    "Ballistol multipurpose oil for hardware stores": "ballistol",
    "Drona Academy textbooks": "drona",
    # Re-entry as a phrase (DESIGN 2.2's vocabulary).
    "re-entry programme for adult learners": "re entry",
    # Attack18: words split by a space are joined ("missi le"), and two words can make one;
    # the missile's own name is also a toy's.
    "Rock et Folk magazine back issues": "rock et",
    "Miss Iles dance school costumes": "miss iles",
    "Storm Shadow action figure for toy collectors": "storm shadow",
}


def _texts() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_the_corpus_is_at_least_500_distinct_civil_texts() -> None:
    """The corpus holds at least 500 texts, none twice, and each accepted hold is in it."""
    texts = _texts()
    assert (len(texts), set()) == (len(set(texts)), set(ACCEPTED) - set(texts))
    assert len(texts) >= 500


def test_the_vocabulary_holds_only_the_reviewed_civil_texts() -> None:
    """The built-in vocabulary holds exactly the accepted texts of the corpus, each for the
    term listed: a change that holds one more civil text fails here."""
    vocabulary = Vocabulary()
    held = {}
    for text in _texts():
        found = vocabulary.read(text)
        if found.catch_all is not None:
            held[text] = found.catch_all
    assert (len(ACCEPTED), ACCEPTED) == (len(held), held)
