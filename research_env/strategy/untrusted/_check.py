"""Layers 3-5 of ``validate_strategy`` inside the sandbox: ``check_in_sandbox`` (parent) and the worker
(``python -m research_env.strategy.untrusted._check``), which answers a JSON request with JSON."""

from __future__ import annotations

from ...settings import Settings
from ._policy import UntrustedCodeError

__all__ = ["check_in_sandbox"]


def check_in_sandbox(source: str, name: str, allowed: tuple[str, ...], settings: Settings):
    """``runtime_layers`` run in the sandbox: (layers, class name, isolation used)."""
    from ._sandbox import SandboxLimits, run_sandboxed
    from ._validate import LayerResult

    run = run_sandboxed(__name__, {"source": source, "name": name, "allowed": list(allowed)}, {},
                        limits=SandboxLimits.from_settings(settings))
    if run.response is None:
        why = run.killed_because or f"exit status {run.returncode}"
        problem_text = f"the contained check stopped ({why}): {run.stderr.strip()[-500:]}"
        raise UntrustedCodeError(f"strategy `{name}` could not be validated: {problem_text}")
    layers = [LayerResult.from_dict(layer) for layer in run.response["layers"]]
    return layers, run.response["class_name"], run.isolation


def _answer(request: dict) -> dict:
    """``{"source", "name", "allowed"}`` -> ``{"layers", "class_name"}``, in the sandbox."""
    from ._validate import runtime_layers

    layers, class_name = runtime_layers(request["source"], request["name"], tuple(request["allowed"]))
    return {"layers": [layer.to_dict() for layer in layers], "class_name": class_name}


if __name__ == "__main__":
    from ._sandbox import serve

    serve(_answer)
