"""Untrusted strategy code: the guide's five validation layers and the sandbox that contains a run.

See ``docs/untrusted_code.md``: what each layer stops, what containment adds, and what stays trusted.
"""

from ._policy import ALLOWED_IMPORTS, BLOCKED_BUILTINS, BLOCKED_MODULES, UntrustedCodeError
from ._sandbox import ContainmentError, SandboxLimits, SandboxRun, bwrap_available, run_sandboxed, serve
from ._validate import LayerResult, ValidationReport, load_untrusted, validate_strategy

__all__ = [
    "ALLOWED_IMPORTS",
    "BLOCKED_BUILTINS",
    "BLOCKED_MODULES",
    "ContainmentError",
    "LayerResult",
    "SandboxLimits",
    "SandboxRun",
    "UntrustedCodeError",
    "ValidationReport",
    "bwrap_available",
    "load_untrusted",
    "run_sandboxed",
    "serve",
    "validate_strategy",
]
