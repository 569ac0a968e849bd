"""Countries and the named groups of countries the rules read.

Invariant: every country code inside this module's values is an officially assigned ISO 3166-1
alpha-2 code. Codes are checked once, where they enter (``parse_country`` for user input,
``CountryGroups`` for the configuration), and never guessed or repaired: ``"ir"``, ``"UK"`` or
``"XK"`` is an error, not a near miss. The reason is the embargo rule. A membership question
about a code we do not know has no safe answer ("not embargoed" would let goods leave), so it
raises ``InvalidCountry`` and the caller fails closed.

The code set is a literal, not a lookup in some installed package, so the answer cannot change
under us with a dependency upgrade; it is the 249 officially assigned codes (user-assigned codes
such as ``XK`` are not among them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.errors import InvalidCountry, PolicyError

#: The officially assigned ISO 3166-1 alpha-2 codes (249).
ISO_3166_ALPHA2: frozenset[str] = frozenset(
    {
        "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW",
        "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN",
        "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG",
        "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ",
        "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI",
        "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL",
        "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR",
        "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
        "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
        "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME",
        "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU",
        "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP",
        "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR",
        "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD",
        "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
        "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
        "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
        "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """What a group is beyond its members: the legal reference it rests on (a UN resolution,
    an EU regulation) and, for a general licence, the control codes it does not cover.

    ``excluded_controls`` holds Annex codes; a code excludes itself and everything under it
    (``"9.A.1"`` excludes ``"9.A.1.c"``), as an Annex entry covers its sub-items.
    """

    basis: str = ""
    excluded_controls: frozenset[str] = frozenset()

    def excludes(self, control: str) -> bool:
        """Whether ``control`` is one of ``excluded_controls`` or lies under one."""
        if not self.excluded_controls:
            return False
        if control in self.excluded_controls:
            return True
        parts = control.split(".")
        return any(".".join(parts[:n]) in self.excluded_controls for n in range(1, len(parts)))


def parse_country(code: object, *, where: str | None = None, field: str = "country") -> str:
    """Return ``code`` if it is an assigned ISO 3166-1 alpha-2 code.

    Raises ``InvalidCountry`` for anything else, including lowercase or padded input: a
    country field is machine-written, and quietly fixing it up would hide the writer's bug.
    """
    if isinstance(code, str) and code in ISO_3166_ALPHA2:
        return code
    raise InvalidCountry(code if isinstance(code, str) else repr(code), where=where, field=field)


@dataclass(frozen=True, slots=True)
class CountryGroups:
    """Named sets of countries, such as ``embargoed`` or ``mtcr_partners``.

    Build it with ``CountryGroups.from_mapping`` from the configuration's ``[groups]`` table.
    Queries name a group and a country; both must be known (``PolicyError`` for an unknown
    group, ``InvalidCountry`` for an unknown code), because the answer to a question about
    either would otherwise be a silent "no".
    """

    groups: tuple[tuple[str, frozenset[str]], ...]
    info: tuple[tuple[str, GroupInfo], ...] = ()
    _index: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False, hash=False)
    _info: Mapping[str, GroupInfo] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index: dict[str, frozenset[str]] = {}
        for name, members in self.groups:
            if not isinstance(name, str) or not name.strip():
                raise PolicyError(f"country group name {name!r} must be a non-empty string")
            if name in index:
                raise PolicyError(f"country group {name!r} is defined twice")
            for code in members:
                parse_country(code, where=f"country group {name!r}")
            index[name] = frozenset(members)
        info = dict(self.info)
        for name in info:
            if name not in index:
                raise PolicyError(f"country group {name!r} has a basis but no members")
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_info", info)

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Iterable[str] | Mapping[str, Any]]
    ) -> CountryGroups:
        """Build groups from ``{name: [codes]}`` or ``{name: {"members": [codes], "basis":
        text, "excluded_controls": [codes]}}``; every code is validated.

        Raises ``InvalidCountry`` naming the group and the code, ``PolicyError`` for a bad name,
        an unknown key in a group's table, or members given as a bare string (``"IR"`` would
        read as the letters I and R).
        """
        groups: list[tuple[str, frozenset[str]]] = []
        infos: list[tuple[str, GroupInfo]] = []
        for name, value in mapping.items():
            if isinstance(value, Mapping):
                unknown = sorted(set(value) - {"members", "basis", "excluded_controls"})
                if unknown:
                    raise PolicyError(
                        f"country group {name!r}: unknown key {unknown[0]!r} (known: members,"
                        " basis, excluded_controls)"
                    )
                codes = value.get("members", ())
                excluded = value.get("excluded_controls", ())
                basis = value.get("basis", "")
                if not isinstance(basis, str) or isinstance(excluded, str):
                    raise PolicyError(
                        f"country group {name!r}: basis is text, excluded_controls a list"
                    )
                if not all(isinstance(code, str) and code for code in excluded):
                    raise PolicyError(f"country group {name!r}: excluded_controls holds a non-code")
                infos.append((name, GroupInfo(basis, frozenset(excluded))))
            else:
                codes = value
            if isinstance(codes, str):
                raise PolicyError(f"country group {name!r} must be a list of codes, not a string")
            groups.append((name, frozenset(codes)))
        return cls(tuple(sorted(groups)), tuple(sorted(infos, key=lambda pair: pair[0])))

    def info_of(self, group: str) -> GroupInfo:
        """The group's basis and exclusions (empty when none were given). Raises
        ``PolicyError`` for an unknown group."""
        self.members(group)
        return self._info.get(group, GroupInfo())

    @property
    def names(self) -> frozenset[str]:
        """The names of all groups."""
        return frozenset(self._index)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._index))

    def members(self, group: str) -> frozenset[str]:
        """The codes in ``group``. Raises ``PolicyError`` if there is no such group."""
        try:
            return self._index[group]
        except KeyError:
            raise PolicyError(f"there is no country group {group!r}") from None

    def contains(self, group: str, code: str) -> bool:
        """Whether ``code`` is in ``group``.

        Raises ``InvalidCountry`` for an unknown code and ``PolicyError`` for an unknown group.
        """
        members = self.members(group)
        return parse_country(code) in members

    def any_in(self, group: str, codes: Iterable[str]) -> tuple[str, ...]:
        """The codes of ``codes`` that are in ``group``, in the order given, without repeats.

        Every code is validated, even after a hit, so a bad code is never hidden by a good one.
        """
        members = self.members(group)
        hits: list[str] = []
        for code in codes:
            if parse_country(code) in members and code not in hits:
                hits.append(code)
        return tuple(hits)

    def groups_of(self, code: str) -> frozenset[str]:
        """The names of the groups ``code`` belongs to. Raises ``InvalidCountry``."""
        parse_country(code)
        return frozenset(name for name, members in self._index.items() if code in members)

    def lost_since(self, before: CountryGroups) -> dict[str, frozenset[str]]:
        """The members each group of ``before`` no longer has here, for the groups that lost
        any (a group gone altogether lost all its members). Sorted by group name."""
        lost: dict[str, frozenset[str]] = {}
        for name in sorted(before.names):
            gone = before.members(name) - self._index.get(name, frozenset())
            if gone:
                lost[name] = gone
        return lost
