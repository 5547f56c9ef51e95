"""The escape corpus: strategy code that tries to leave the rules, each with what must happen to it.

``REFUSED`` cases are stopped by the validation (the layer and the offending name are asserted);
``CONTAINED`` cases pass the static layers and are stopped when they run, inside the sandbox.
"""

from __future__ import annotations

import textwrap
from typing import NamedTuple

TEMPLATE = '''
from core.models import Bar
from strategies.base import StrategyBase
{module}


class Escape(StrategyBase):
    def __init__(self, symbols=None):
        super().__init__(name="escape", symbols=symbols or ["SPY"])
        self._count = 0

    def on_bar(self, bar: Bar):
        self._count += 1
{body}
        return []
'''


def escape_source(module: str = "", body: str = "") -> str:
    """A complete strategy with ``module`` at module level and ``body`` at the start of ``on_bar``."""
    return TEMPLATE.format(module=textwrap.dedent(module).strip(),
                           body=textwrap.indent(textwrap.dedent(body).strip(), " " * 8))


class Refused(NamedTuple):
    """Stopped by the validation at ``layer``, naming ``name``."""

    case: str
    module: str
    body: str
    layer: str
    name: str


class Contained(NamedTuple):
    """Passes the static layers; stopped at run time in the sandbox with an error matching ``error``."""

    case: str
    module: str
    body: str
    error: str


REFUSED = [
    Refused("import os", "import os", "", "imports", "os"),
    Refused("import subprocess", "import subprocess", "", "imports", "subprocess"),
    Refused("from os import system", "from os import system", "", "imports", "os"),
    Refused("submodule of a blocked module", "import os.path", "", "imports", "os.path"),
    Refused("import socket in on_bar", "", "import socket", "imports", "socket"),
    Refused("importlib", "import importlib", "", "imports", "importlib"),
    Refused("ctypes", "import ctypes", "", "imports", "ctypes"),
    Refused("threading", "import threading", "", "imports", "threading"),
    Refused("multiprocessing", "import multiprocessing", "", "imports", "multiprocessing"),
    Refused("pathlib", "from pathlib import Path", "", "imports", "pathlib"),
    Refused("sys", "import sys", "", "imports", "sys"),
    Refused("shutil", "import shutil", "", "imports", "shutil"),
    Refused("urllib", "import urllib.request", "", "imports", "urllib.request"),
    Refused("numpy (file readers)", "import numpy as np", "", "imports", "numpy"),
    Refused("pandas.io.common.os", "import pandas.io.common", "", "imports", "pandas.io.common"),
    Refused("private name of an allowed module", "from collections import _sys", "", "imports", "collections._sys"),
    Refused("star import", "from math import *", "", "imports", "math.*"),
    Refused("relative import", "from . import helpers", "", "imports", "."),
    Refused("__import__", "", "__import__('os').system('id')", "builtins", "__import__"),
    Refused("eval", "", "eval('1 + 1')", "builtins", "eval"),
    Refused("exec", "", "exec('x = 1')", "builtins", "exec"),
    Refused("compile", "", "compile('1', 'f', 'eval')", "builtins", "compile"),
    Refused("open /etc/passwd", "", "open('/etc/passwd').read()", "builtins", "open"),
    Refused("open ~/.ssh", "", "open('/root/.ssh/id_rsa').read()", "builtins", "open"),
    Refused("write a file", "", "open('/tmp/escaped', 'w').write('x')", "builtins", "open"),
    Refused("breakpoint", "", "breakpoint()", "builtins", "breakpoint"),
    Refused("input", "", "input()", "builtins", "input"),
    Refused("eval by another name", "run = eval", "", "builtins", "eval"),
    Refused("getattr with a built string", "", "getattr(self, '__cla' + 'ss__')", "builtins", "getattr"),
    Refused("setattr", "", "setattr(self, 'x', 1)", "builtins", "setattr"),
    Refused("vars", "", "vars(self)", "builtins", "vars"),
    Refused("globals", "", "globals()['__builtins__']", "builtins", "globals"),
    Refused("locals", "", "locals()", "builtins", "locals"),
    Refused("dir", "", "dir(self)", "builtins", "dir"),
    Refused("__builtins__", "", "__builtins__['open']", "builtins", "__builtins__"),
    Refused("subclasses walk", "", "().__class__.__mro__[1].__subclasses__()", "builtins", "__class__"),
    Refused("function globals", "", "self.on_bar.__globals__", "builtins", "__globals__"),
    Refused("lambda globals", "", "(lambda: 0).__globals__['__builtins__']", "builtins", "__globals__"),
    Refused("format string attribute", "", "'{0.__class__.__mro__}'.format(self)", "builtins",
            "0.__class__.__mro__"),
    Refused("format_map", "", "'{x.on_bar}'.format_map({'x': self})", "builtins", "format_map"),
    Refused("generator frame walk", "", "g = (i for i in [1])\ng.gi_frame.f_back.f_globals", "builtins",
            "gi_frame"),
    Refused("traceback frame walk", "", "try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__.tb_frame",
            "builtins", "__traceback__"),
    Refused("type with three arguments", "", "type('X', (object,), {})", "builtins", "type"),
    Refused("metaclass", "class Meta(type):\n    pass\n\n\nclass Other(metaclass=Meta):\n    pass", "", "builtins",
            "metaclass"),
    Refused("decorator calling eval", "@eval\ndef nothing():\n    pass", "", "builtins", "eval"),
    Refused("global statement", "", "global Escape", "builtins", "Escape"),
    Refused("exit the interpreter", "", "exit()", "builtins", "exit"),
    Refused("memoryview", "", "memoryview(b'x')", "builtins", "memoryview"),
    Refused("module loader", "", "__loader__", "builtins", "__loader__"),
]

CONTAINED = [
    Contained("module of a module (dataclasses.sys)", "", "import dataclasses\ndataclasses.sys.modules",
              r"StrategyError: strategy `escape` raised in on_bar\(\) on the SPY bar of 2023-01-03 21:00:00\+0000: "
              r"AttributeError: module 'dataclasses' has no attribute 'sys'"),
    Contained("private module of a module (collections._sys)", "", "import collections\ncollections._sys",
              r"StrategyError: .*AttributeError: module 'collections' has no attribute '_sys'"),
    Contained("functools.sys at run time", "", "import functools\nfunctools.sys",
              r"StrategyError: .*AttributeError: module 'functools' has no attribute 'sys'"),
    Contained("infinite loop", "", "while True:\n    pass",
              r"RunTimeoutError: the contained backtest of strategy `escape` used up its CPU time \(4 s\) and was "
              r"stopped; shorten the date range or raise `\[untrusted\] cpu_seconds`"),
    Contained("memory bomb", "", "hog = [0] * (10 ** 10)",
              r"ContainmentError: the contained backtest of strategy `escape` ran out of memory \(the limit is 1536 "
              r"MB\) and was stopped; raise `\[untrusted\] memory_mb`"),
    Contained("recursion bomb", "def down(n):\n    return down(n + 1)", "down(0)",
              r"StrategyError: .*RecursionError: maximum recursion depth exceeded"),
    Contained("huge output", "", "self.log('x' * 100_000)",
              r"ContainmentError: the contained backtest of strategy `escape` sent more than 5 MB back and was "
              r"stopped; log less, or raise `\[untrusted\] max_output_mb`"),
]
