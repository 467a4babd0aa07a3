"""A model as plain data and back: its constructor arguments, costs and actions as structured JSON.

Every model is a frozen dataclass that normalises its arguments at construction, so
the normalised fields are themselves valid constructor arguments: a model rebuilt
from them is equal to the original, float for float. ``ModelData`` gives every
model class that inherits it ``to_dict()`` and ``from_dict()`` over its dataclass
fields, so a field added to a model is saved and restored with no further code.

Values are written as JSON data: numbers, strings, None, lists (for tuples), a cost
as ``{"cost": family, <its parameters>}`` (the shipped families only), an action of
a lagged race as ``{"action": {"cost": ..., "progress": [[stages, probability], ...]}}``, the
continuous effort that ``LaggedRace.from_race`` builds (a ``PoissonEffort``) as
``{"poisson_effort": {"flow_cost": <a cost>, "productivity": ..., "lag": ..., "discount": ...,
"prize": ...}}``.
Nothing read is ever executed or imported: a family or a model type is looked up by
name among the library's own classes. What cannot be rebuilt from data (a cost of
your own, a breakthrough hazard given as a Python function, a ``ContinuousEffort`` of
your own functions) is written as
``{"unrestorable": ...}`` with its ``repr``, so ``to_dict()`` still describes the
model; ``from_dict()`` refuses it, naming the parameter.

Examples
--------
>>> import json
>>> import patentrace as pr
>>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Power(scale=2.0, exponent=3.0))
>>> data = json.loads(json.dumps(race.to_dict()))
>>> data["type"], data["cost"][0]
('Race', {'cost': 'Power', 'scale': 2.0, 'exponent': 3.0, 'linear': 0.0})
>>> pr.Race.from_dict(data) == race
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

import numpy as np

from patentrace.models.costs import Cost, Power, Quadratic
from patentrace.models.effort import PoissonEffort

__all__ = ["ModelData", "UnrestorableError", "decode_parameter", "encode_parameter", "model_from_dict"]

_COSTS: dict[str, type[Power]] = {"Power": Power, "Quadratic": Quadratic}
_POISSON = ("flow_cost", "productivity", "lag", "discount", "prize")  # PoissonEffort's parameters, in order
_ULPS = 8  # an action's probabilities may be renormalised by at most this many rounding units on the way back

M = TypeVar("M", bound="ModelData")


class UnrestorableError(ValueError):
    """Data that does not describe a model the library can rebuild (it names the parameter and why).

    Examples
    --------
    >>> try:
    ...     model_from_dict({"type": "Race", "stages": [2, 2], "prize": 1.0, "discount": 0.1,
    ...                      "cost": [{"cost": "Cubic"}, {"cost": "Cubic"}]})
    ... except UnrestorableError as err:
    ...     print(err)
    cost[0]: unknown cost family 'Cubic'; the shipped families are Power, Quadratic
    """


class ModelData:
    """What every model inherits: ``to_dict()`` and ``from_dict()`` over its dataclass fields.

    Examples
    --------
    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> race.to_dict()["actions"][0][0][0]
    {'action': {'cost': 0.2, 'progress': [[0, 0.5], [1, 0.5]]}}
    >>> pr.LaggedRace.from_dict(race.to_dict()) == race
    True
    """

    def to_dict(self) -> dict[str, Any]:
        """The model's type and constructor arguments as JSON data (see the module docstring).

        Returns
        -------
        dict
            ``{"type": class name, field: value, ...}``, every field of the dataclass.

        Examples
        --------
        >>> import patentrace as pr
        >>> pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()).to_dict()["stages"]
        [2, 2]
        """
        assert is_dataclass(self)
        out: dict[str, Any] = {"type": type(self).__name__}
        for item in fields(self):
            if item.init:
                out[item.name] = encode_parameter(getattr(self, item.name))
        return out

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """Rebuild the model that ``to_dict`` described; it is validated like any new model.

        Parameters
        ----------
        data : mapping
            What ``to_dict`` returned (also after a trip through JSON).

        Returns
        -------
        model
            Equal to the model that wrote ``data``.

        Raises
        ------
        UnrestorableError
            If ``data`` names another model type, lacks a required argument, has an
            unknown one, or holds a value that cannot be rebuilt; the message names it.
        ValueError, TypeError
            From the model's own validation, for a value out of range.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.1), lag=0.5)
        >>> pr.DeterministicRace.from_dict(race.to_dict()) == race
        True
        """
        if not isinstance(data, Mapping):
            raise UnrestorableError(f"a model must be a mapping of its parameters, got {type(data).__name__}")
        if data.get("type") != cls.__name__:
            raise UnrestorableError(f"type: the data describes a {data.get('type')!r}, not a {cls.__name__}")
        assert is_dataclass(cls)
        accepted = {item.name: item for item in fields(cls) if item.init}
        unknown = sorted(set(data) - set(accepted) - {"type"})
        if unknown:
            raise UnrestorableError(f"{cls.__name__} has no parameter {unknown[0]!r} (it has {sorted(accepted)})")
        arguments = {name: decode_parameter(name, data[name]) for name in accepted if name in data}
        try:
            return cls(**arguments)
        except TypeError as err:
            if "missing" in str(err):
                raise UnrestorableError(f"{cls.__name__}: {err}") from None
            raise


def model_classes() -> dict[str, type[ModelData]]:
    """Every model class, by name: the subclasses of ``ModelData`` (a new model is found automatically).

    Examples
    --------
    >>> sorted(model_classes())[:3]
    ['DeterministicRace', 'LaggedRace', 'Race']
    """
    found: dict[str, type[ModelData]] = {}
    pending = list(ModelData.__subclasses__())
    while pending:
        cls = pending.pop()
        found.setdefault(cls.__name__, cls)
        pending.extend(cls.__subclasses__())
    return found


def model_from_dict(data: Any) -> ModelData:
    """The model of any type that ``data["type"]`` names, rebuilt from ``data``.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> model_from_dict(race.to_dict()) == race
    True
    """
    if not isinstance(data, Mapping):
        raise UnrestorableError(f"a model must be a mapping of its parameters, got {type(data).__name__}")
    classes = model_classes()
    name = data.get("type")
    if name not in classes:
        raise UnrestorableError(f"type: unknown model type {name!r}; the models are {sorted(classes)}")
    return classes[str(name)].from_dict(data)


def encode_parameter(value: Any) -> Any:
    """A model's field value as JSON data (see the module docstring).

    Examples
    --------
    >>> import patentrace as pr
    >>> encode_parameter(((1.0, 2.0), (3.0,)))
    [[1.0, 2.0], [3.0]]
    >>> encode_parameter(pr.costs.Quadratic(scale=2.0))
    {'cost': 'Quadratic', 'scale': 2.0, 'linear': 0.0}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (tuple, list)):
        return [encode_parameter(v) for v in value]
    if isinstance(value, Cost):
        return _encode_cost(value)
    if isinstance(value, ModelData):  # a model held by a model (a lagged race's technology)
        return {"model": value.to_dict()}
    action = _encode_action(value)
    if action is not None:
        return action
    if type(value) is PoissonEffort:
        return {"poisson_effort": {name: encode_parameter(getattr(value, name)) for name in _POISSON}}
    return {"unrestorable": type(value).__qualname__, "repr": repr(value)}


def _encode_cost(cost: Cost) -> dict[str, Any]:
    family = type(cost).__name__
    if _COSTS.get(family) is not type(cost):
        return {"unrestorable": type(cost).__qualname__, "repr": repr(cost)}
    assert is_dataclass(cost)
    return {"cost": family, **{item.name: getattr(cost, item.name) for item in fields(cost) if item.init}}


def _encode_action(value: Any) -> dict[str, Any] | None:
    from patentrace.models.lagged import Action  # lagged imports this module's users, not this module

    if not isinstance(value, Action):
        return None
    return {"action": {"cost": value.cost, "progress": [[d, p] for d, p in value.progress]}}


def decode_parameter(name: str, data: Any) -> Any:
    """Invert ``encode_parameter``; ``name`` (the field, with indices) names any error.

    Examples
    --------
    >>> decode_parameter("cost", {"cost": "Power", "scale": 1.0, "exponent": 3.0, "linear": 0.0})
    Power(scale=1.0, exponent=3.0, linear=0.0)
    >>> decode_parameter("breakthrough", {"unrestorable": "function", "repr": "<function b>"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    patentrace.models.parameters.UnrestorableError: breakthrough: a function was saved as its repr ... from data
    """
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return tuple(decode_parameter(f"{name}[{k}]", v) for k, v in enumerate(data))
    if isinstance(data, Mapping):
        if "unrestorable" in data:
            raise UnrestorableError(f"{name}: a {data['unrestorable']} was saved as its repr ({data.get('repr')!r}) "
                                    "and cannot be rebuilt from data")
        if set(data) == {"model"}:
            return _decode_model(name, data["model"])
        if "cost" in data:
            return _decode_cost(name, data)
        if set(data) == {"action"}:
            return _decode_action(name, data["action"])
        if set(data) == {"poisson_effort"}:
            return _decode_poisson_effort(name, data["poisson_effort"])
    raise UnrestorableError(f"{name}: unexpected value {data!r}")


def _decode_model(name: str, data: Any) -> ModelData:
    """A model held by a model, rebuilt; its errors name the field that holds it."""
    try:
        return model_from_dict(data)
    except UnrestorableError as err:
        raise UnrestorableError(f"{name}: {err}") from None


def _decode_cost(name: str, data: Mapping[str, Any]) -> Power:
    family = data["cost"]
    if family not in _COSTS:
        raise UnrestorableError(f"{name}: unknown cost family {family!r}; the shipped families are "
                                f"{', '.join(sorted(_COSTS))}")
    cls = _COSTS[str(family)]
    accepted = {item.name for item in fields(cls) if item.init}
    parameters = {k: v for k, v in data.items() if k != "cost"}
    if not set(parameters) <= accepted:
        raise UnrestorableError(f"{name}: {family} has no parameter {sorted(set(parameters) - accepted)[0]!r}")
    return cls(**parameters)


def _decode_action(name: str, data: Any) -> Any:
    from patentrace.models.lagged import Action

    if not isinstance(data, Mapping) or set(data) != {"cost", "progress"} or not isinstance(data["progress"], list):
        raise UnrestorableError(f"{name}: an action needs 'cost' and 'progress' (pairs), got {data!r}")
    try:
        pairs = [(int(d), float(p)) for d, p in data["progress"]]
    except (TypeError, ValueError):
        raise UnrestorableError(f"{name}: progress must be [stages, probability] pairs, got {data['progress']!r}") \
            from None
    action = Action(cost=data["cost"], progress=dict(pairs))
    stored = tuple(sorted(pairs))
    if action.progress != stored:
        # Action divides by the probabilities' sum, which may differ from 1 in the last place: keep the
        # saved probabilities (already normalised when saved) when they are that close.
        near = len(stored) == len(action.progress) and all(
            d == e and abs(p - q) <= _ULPS * math.ulp(1.0) for (d, p), (e, q) in zip(stored, action.progress,
                                                                                      strict=True))
        if not near:
            raise UnrestorableError(f"{name}: progress {stored!r} is not a normalised distribution")
        object.__setattr__(action, "progress", stored)
    return action


def _decode_poisson_effort(name: str, data: Any) -> PoissonEffort:
    """A ``PoissonEffort`` from its parameters; a missing, unknown or non-numeric one is refused by name."""
    if not isinstance(data, Mapping) or set(data) != set(_POISSON):
        found = sorted(data) if isinstance(data, Mapping) else data
        raise UnrestorableError(f"{name}: a Poisson effort needs exactly {list(_POISSON)}, got {found!r}")
    flow_cost = decode_parameter(f"{name}.flow_cost", data["flow_cost"])
    numbers = {}
    for key in _POISSON[1:]:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UnrestorableError(f"{name}.{key}: expected a number, got {value!r}")
        numbers[key] = value
    return PoissonEffort(flow_cost=flow_cost, **numbers)
