"""``quick_init``: the faster ``__init__`` builds exactly what the dataclass's own did."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest

from gate.core import identifier, shipment_values
from gate.core.frozen_init import DECORATED, quick_init
from gate.service import events, input_checks, scan_outcome
from gate.storage import scan_rows

APPLIED = [
    identifier.Identifier,
    scan_outcome.ItemSeen,
    scan_outcome.Listed,
    scan_outcome.ScanOutcome,
    scan_outcome.FirstUse,
    scan_rows.ScanRow,
    events.Event,
    input_checks.ScanInput,
    shipment_values.Line,
    shipment_values.Shipment,
    shipment_values.Transition,
    shipment_values.SerialRead,
]


def test_every_class_given_the_quick_init_is_compared_here() -> None:
    """The classes below are every class decorated in the gate (a class decorated later
    must join them, and so be compared)."""
    assert set(APPLIED) == {cls for cls in DECORATED if cls.__module__.startswith("gate.")}


def _slots(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def _both(cls: type, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``cls`` built by its quick ``__init__`` and by the dataclass's own."""
    quick = cls(*args, **kwargs)
    slow: Any = object.__new__(cls)
    original: Any = vars(cls)["__init__"].dataclass_init
    original(slow, *args, **kwargs)
    return quick, slow


@pytest.mark.parametrize("cls", APPLIED, ids=lambda c: c.__name__)
def test_each_class_keeps_its_signature_and_builds_the_same_value(cls: type) -> None:
    """The quick ``__init__`` takes the same parameters (names, kinds, defaults) and stores
    the same value in every field, given every parameter or only the required ones."""
    init: Any = vars(cls)["__init__"]
    assert inspect.signature(init.dataclass_init) == inspect.signature(init)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    given = {f.name: object() for f in fields}
    quick, slow = _both(cls, **given)
    assert _slots(slow) == _slots(quick)
    assert all(getattr(quick, name) is value for name, value in given.items())
    required = {
        f.name: object()
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    quick, slow = _both(cls, **required)
    assert _slots(slow) == _slots(quick)


@pytest.mark.parametrize("cls", APPLIED, ids=lambda c: c.__name__)
def test_a_value_stays_frozen(cls: type) -> None:
    """Setting a field after construction is still refused."""
    required = {
        f.name: object()
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    value = cls(**required)
    name = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, name, "changed")


def test_defaults_factories_keyword_fields_and_post_init_work_as_in_dataclasses() -> None:
    """A factory runs once per value, a field outside ``__init__`` gets its default,
    keyword-only fields stay keyword-only, ``__post_init__`` runs last and may set fields
    the way frozen classes do; positional and keyword calls give equal values."""
    calls: list[int] = []

    @quick_init
    @dataclass(frozen=True, slots=True)
    class Sample:
        a: int
        b: list[int] = field(default_factory=list)
        c: str = "c"
        d: int = field(default=7, init=False)
        e: int = field(default=0, kw_only=True)
        total: int = field(default=0, init=False)

        def __post_init__(self) -> None:
            calls.append(self.a)
            object.__setattr__(self, "total", self.a + self.d + self.e)

    one, two = Sample(1), Sample(1)
    assert one.b == [] and one.b is not two.b
    assert ("c", 7, 0, 8) == (one.c, one.d, one.e, one.total)
    assert Sample(2, [3], "x", e=4) == Sample(a=2, b=[3], c="x", e=4)
    assert 13 == Sample(2, e=4).total
    assert [1, 1, 2, 2, 2] == calls
    with pytest.raises(TypeError):
        Sample(1, [], "c", 4)  # type: ignore[call-arg]  # e is keyword only
    with pytest.raises(TypeError):
        Sample(1, d=3)  # type: ignore[call-arg]  # d is not a parameter
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]


def test_only_frozen_slotted_dataclasses_are_taken() -> None:
    """A class that is not a frozen, slotted dataclass is refused at decoration."""

    @dataclass(slots=True)
    class Open:
        a: int

    @dataclass(frozen=True)
    class Unslotted:
        a: int

    class Plain:
        pass

    for cls in (Open, Unslotted, Plain):
        with pytest.raises(TypeError, match="frozen, slotted dataclass"):
            quick_init(cls)


def test_what_it_does_not_handle_is_refused_at_decoration() -> None:
    """A field outside ``__init__`` without a default, fields inherited from a base class
    and a field named like the generated function's own names are refused, not built
    wrongly."""

    @dataclass(frozen=True, slots=True)
    class Unset:
        a: int
        b: int = field(init=False)

    @dataclass(frozen=True, slots=True)
    class Base:
        a: int

    @dataclass(frozen=True, slots=True)
    class Derived(Base):
        b: int = 0

    @dataclass(frozen=True, slots=True)
    class Clash:
        __quick_MISSING__: int = 0  # not mangled: it ends in two underscores

    for cls in (Unset, Derived, Clash):
        with pytest.raises(TypeError, match="quick_init"):
            quick_init(cls)
