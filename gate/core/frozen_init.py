"""A faster ``__init__`` for the frozen, slotted dataclasses built for every scan.

``dataclass(frozen=True)`` writes an ``__init__`` that stores each field with
``object.__setattr__(self, name, value)``: a global lookup, an attribute lookup and a generic
attribute set per field. A scan builds about a dozen such values (its input, identifier,
outcome, transition, stored row, event...), and those stores were about a sixth of what a
scan cost the event loop. For a slotted class each field is a slot whose descriptor can set
it directly; ``quick_init`` writes an ``__init__`` that does only that.

The class stays what ``dataclass`` made it: the same parameters in the same order (keyword
only where the field is), the same defaults and factories, ``__post_init__`` called last,
assignment after construction refused (``FrozenInstanceError``). ``tests/core/
test_frozen_init.py`` compares it with the dataclass's own ``__init__`` on every class it is
applied to.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


#: Every class given the faster ``__init__``: the tests compare each with its dataclass's own.
DECORATED: list[type] = []
#: The generated function's own names start so; no field may.
_OWN = "__quick_"


def quick_init(cls: type[T]) -> type[T]:
    """Gives ``cls`` (a ``dataclass(frozen=True, slots=True)``) the faster ``__init__``.
    Raises TypeError for a class that is not one, or that it does not handle: ``InitVar``
    pseudo-fields, fields inherited from a base class, a field outside ``__init__`` without
    a default, a field named like the function's own names."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"quick_init: {cls.__name__} is not a frozen, slotted dataclass")
    if any("InitVar" in str(annotation) for annotation in cls.__annotations__.values()):
        raise TypeError(f"quick_init: {cls.__name__} has InitVar fields")
    scope: dict[str, Any] = {f"{_OWN}MISSING": dataclasses.MISSING}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in cls.__dict__["__slots__"] or f.name.startswith(_OWN):
            raise TypeError(f"quick_init: {cls.__name__}.{f.name} is inherited or misnamed")
        setter = f"{_OWN}set_{f.name}"
        scope[setter] = cls.__dict__[f.name].__set__
        if f.default is not dataclasses.MISSING:
            scope[f"{_OWN}default_{f.name}"] = f.default
            given = f"{f.name}={_OWN}default_{f.name}"
            value = f.name if f.init else f"{_OWN}default_{f.name}"
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"{_OWN}factory_{f.name}"] = f.default_factory
            given = f"{f.name}={_OWN}MISSING"
            made = f"{_OWN}factory_{f.name}()"
            value = f"{made} if {f.name} is {_OWN}MISSING else {f.name}" if f.init else made
        elif f.init:
            given = value = f.name
        else:
            raise TypeError(f"quick_init: {cls.__name__}.{f.name} is outside __init__ unset")
        if f.init:
            (keyword if f.kw_only else positional).append(given)
        body.append(f"    {setter}(self, {value})\n")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()\n")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    # The text is built from the class's own field names, nothing else.
    lines = "".join(body) or "    pass\n"
    source = f"def __init__({signature}):\n{lines}"
    exec(source, scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    init.dataclass_init = cls.__init__  # what it replaces: the tests compare the two
    setattr(cls, "__init__", init)  # noqa: B010 (a class attribute, not a frozen instance's)
    DECORATED.append(cls)
    return cls
