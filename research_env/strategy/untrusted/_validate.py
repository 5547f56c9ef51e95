"""``validate_strategy``: the guide's five validation layers for untrusted strategy code, and ``load_untrusted``.

1. AST import check, 2. AST builtins check (both static, ``_static``), 3. restricted execution at module load
(``__builtins__`` limited by ``_policy``), 4. subclass check (a ``StrategyBase`` subclass, or a complete
function-style strategy), 5. instantiation with ``symbols=["TEST"]``. Layers 3 to 5 run the code: the public
``validate_strategy`` runs them inside the sandbox (``_check``); ``runtime_layers`` is what runs there.
"""

from __future__ import annotations

import ast
import traceback
from dataclasses import dataclass, field

from ...settings import Settings, load_settings
from ..loader import LoadedStrategy, StrategyLoadError, load_source
from ._policy import UntrustedCodeError, allowed_modules, restricted_builtins
from ._static import Problem, builtin_problems, import_problems

__all__ = ["LAYERS", "LayerResult", "ValidationReport", "load_untrusted", "runtime_layers", "validate_strategy"]

LAYERS = ("imports", "builtins", "restricted_exec", "subclass", "instantiation")
_TITLES = {"imports": "AST import check", "builtins": "AST builtins check",
           "restricted_exec": "restricted execution at module load", "subclass": "subclass check",
           "instantiation": 'instantiation with symbols=["TEST"]'}


@dataclass(frozen=True)
class LayerResult:
    """One layer's verdict: ``status`` is ``"passed"``, ``"failed"`` or ``"skipped"`` (an earlier layer failed)."""

    name: str
    status: str
    problems: tuple[Problem, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status,
                "problems": [{"line": p.line, "name": p.name, "message": p.message} for p in self.problems]}

    @classmethod
    def from_dict(cls, data: dict) -> LayerResult:
        return cls(data["name"], data["status"], tuple(Problem(p["line"], p["name"], p["message"])
                                                        for p in data["problems"]))


@dataclass(frozen=True)
class ValidationReport:
    """The five layers' verdicts on one source; ``ok`` when all passed. ``class_name`` is the strategy found."""

    layers: tuple[LayerResult, ...]
    class_name: str | None = None
    isolation: str | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return all(layer.passed for layer in self.layers)

    @property
    def problems(self) -> list[Problem]:
        return [problem for layer in self.layers for problem in layer.problems]

    def __str__(self) -> str:
        lines = [f"validation {'passed' if self.ok else 'FAILED'}" + (f": {self.class_name}" if self.class_name
                                                                       else "")]
        for layer in self.layers:
            lines.append(f"  {_TITLES[layer.name]}: {layer.status}")
            lines.extend(f"    {problem}" for problem in layer.problems)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "class_name": self.class_name, "layers": [layer.to_dict() for layer in self.layers]}

    def raise_for_problems(self, where: str) -> None:
        """Raise ``UntrustedCodeError`` listing the problems unless the report is ``ok``."""
        if not self.ok:
            raise UntrustedCodeError(f"{where} was refused by the untrusted-code validation:\n{self}")


def _static_layers(source: str, allowed: tuple[str, ...]) -> list[LayerResult]:
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        problem = Problem(e.lineno or 0, "syntax", f"syntax error: {e.msg}")
        return [LayerResult("imports", "failed", (problem,))]
    imports = import_problems(tree, allowed)
    builtins = builtin_problems(tree)
    return [LayerResult("imports", "failed" if imports else "passed", tuple(imports)),
            LayerResult("builtins", "failed" if builtins else "passed", tuple(builtins))]


def _failure(name: str, error: BaseException, source_name: str) -> LayerResult:
    """A layer that raised: the user's line when the traceback reaches their code."""
    line = 0
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == f"<strategy {source_name}>":
            line = frame.lineno or 0
    message = f"{type(error).__name__}: {error}"
    return LayerResult(name, "failed", (Problem(line, type(error).__name__, message),))


def runtime_layers(source: str, name: str, allowed: tuple[str, ...]) -> tuple[list[LayerResult], str | None]:
    """Layers 3 to 5 in this process (the sandbox's side of ``validate_strategy``), and the class found."""
    from ..loader import _execute, _inspect

    try:
        module, tree = _execute(source, module_name=f"research_env_untrusted_{name}", filename=f"<strategy {name}>",
                                where=f"strategy `{name}`", package=None, builtins=restricted_builtins(allowed))
    except StrategyLoadError as e:
        return [_failure("restricted_exec", e.__cause__ or e, name)], None
    results = [LayerResult("restricted_exec", "passed")]
    try:
        loaded = _inspect(module, tree, name=name, kind="source", origin=f"strategy `{name}`", path=None, digest="")
        if loaded.strategy_class is None:
            raise StrategyLoadError(f"strategy `{name}` defines only a VectorizedStrategy: vectorized strategies run "
                                    "numpy/pandas code, which untrusted strategies may not import; write a "
                                    "StrategyBase subclass with on_bar")
    except StrategyLoadError as e:
        return [*results, _failure("subclass", e, name)], None
    results.append(LayerResult("subclass", "passed"))
    cls = loaded.bar_class()
    try:
        cls(symbols=["TEST"])
    except Exception as e:  # noqa: BLE001 - any error of the user's constructor is the verdict
        return [*results, _failure("instantiation", e, name)], cls.__name__
    return [*results, LayerResult("instantiation", "passed")], cls.__name__


def _with_skipped(layers: list[LayerResult]) -> tuple[LayerResult, ...]:
    done = {layer.name for layer in layers}
    return (*layers, *(LayerResult(name, "skipped") for name in LAYERS if name not in done))


def validate_strategy(source: str, *, name: str = "untrusted", settings: Settings | None = None,
                      contained: bool = True) -> ValidationReport:
    """The guide's five validation layers on ``source``: a ``ValidationReport`` (``ok``, one entry per layer
    with line numbers and the offending names). Layers 3-5 execute the code, inside the sandbox unless
    ``contained=False`` (for code that is already inside it)."""
    if not isinstance(source, str):
        raise UntrustedCodeError(f"`source` must be the strategy's Python text, got {type(source).__name__}")
    settings = settings if settings is not None else load_settings()
    allowed = allowed_modules(settings.untrusted.allowed_imports)
    layers = _static_layers(source, allowed)
    if not all(layer.passed for layer in layers) or len(layers) < 2:
        return ValidationReport(_with_skipped(layers))
    if not contained:
        runtime, class_name = runtime_layers(source, name, allowed)
        return ValidationReport(_with_skipped([*layers, *runtime]), class_name)
    from ._check import check_in_sandbox

    runtime, class_name, isolation = check_in_sandbox(source, name, allowed, settings)
    return ValidationReport(_with_skipped([*layers, *runtime]), class_name, isolation)


def load_untrusted(source: str, name: str, *, allowed_imports=()) -> LoadedStrategy:
    """Load untrusted ``source`` as a strategy: the static layers first (``UntrustedCodeError`` when they
    refuse it), then executed with restricted builtins. Used inside the sandbox."""
    allowed = allowed_modules(allowed_imports)
    report = ValidationReport(_with_skipped(_static_layers(source, allowed)))
    if not all(layer.passed for layer in report.layers[:2]):
        report.raise_for_problems(f"strategy `{name}`")
    return load_source(source, name, builtins=restricted_builtins(allowed))
