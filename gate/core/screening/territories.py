"""Country names and codes as lists write them, turned into ISO 3166-1 alpha-2 codes.

Lists write countries in words ("Iran (Islamic Republic of)", "Korea, North") or as codes. A
country that cannot be read is dropped, never guessed: it only lowers scores, so a missing one
costs at most a country penalty not applied, while a wrong one would lower a true hit.

The names come from rigour's territory database (strong and weak names, about 28,000). Its
public ``lookup_territory`` builds an index with a slow normaliser (over 6 s on this machine,
more than the whole list-loading budget), so the table here is built once from rigour's name
loader with a plain fold (0.5 s). rigour is pinned to a minor version for that reason.
"""

from __future__ import annotations

from functools import cache, lru_cache

from rigour.territories.lookup import _load_territory_names

from gate.core.countries import ISO_3166_ALPHA2


def _fold(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


@cache
def _names() -> dict[str, str]:
    table: dict[str, str] = {}
    for territory, strong, weak, _places in _load_territory_names():
        code = territory.code.upper()
        if code not in ISO_3166_ALPHA2:
            continue
        for name in (*weak, *strong):  # strong names win where both claim a name
            table[_fold(name)] = code
    return table


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country name or code, or None when unknown."""
    clean = text.strip()
    if len(clean) == 2 and clean.upper() in ISO_3166_ALPHA2:
        return clean.upper()
    return _names().get(_fold(clean)) if clean else None


def country_codes(texts: list[str]) -> list[str]:
    """The codes of the readable countries among ``texts``, in order, without repeats."""
    codes = (country_code(text) for text in texts)
    return list(dict.fromkeys(code for code in codes if code))
