"""Importing the code a model reference names: ``package.module:ATTR``, ``path/to/file.py:ATTR``
or a toolkit builder's registry name.

Resolving a reference runs the code it names, as Python's own ``import`` does: a pipeline file
or a ``--models`` entry is trusted like a script, and the run prints what it imports. A file
is imported once per run under a private module name (so two models from one file share it),
and is marked to travel by value to Ray workers, which do not have the file.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Callable

from toolkit.errors import UsageError

#: Files imported for models in this process, by resolved path (Ray ships them by value).
USER_MODULES: dict[Path, object] = {}
PACKAGE = "toolkit_user_code"


def _one_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


def _import_file(name: str, path: Path):
    if path in USER_MODULES:
        return USER_MODULES[path]
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    module_name = f"{PACKAGE}_{''.join(c if c.isalnum() else '_' for c in path.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"model {name!r}: {path} cannot be imported as Python; give a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001 - the user's file: its own message, on one line
        del sys.modules[module_name]
        raise UsageError(f"model {name!r}: importing {path} failed ({_one_line(err)}); fix the file") from None
    USER_MODULES[path] = module
    return module


def _attribute(name: str, module, attr: str, where: str):
    value = module
    for part in attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise UsageError(f"model {name!r}: {where} has no attribute {attr!r}; check the name after ':'") from None
    return value


def load_reference(name: str, ref: str, base: Path | None = None, log: Callable[[str], None] = print):
    """The object ``ref`` names, imported (its code runs), and where it came from (a file's
    resolved path); :class:`UsageError` in one line when it cannot be had. ``base`` is the
    folder relative file paths are read from."""
    if not isinstance(ref, str) or not ref.strip():
        raise UsageError(f"model {name!r}: builder must be text such as 'package.module:ATTR', "
                         f"'path/to/file.py:ATTR' or a toolkit builder's name. Received: {ref!r}")
    ref = ref.strip()
    target, sep, attr = ref.rpartition(":")
    if not sep:
        from toolkit.builders import get_builder

        try:
            spec = get_builder(ref)
        except UsageError as err:
            raise UsageError(f"model {name!r}: {err}; or give 'package.module:ATTR' / 'path/to/file.py:ATTR'") from None
        log(f"[models] {name}: the toolkit builder {ref}")
        return spec.build, f"toolkit builder {ref}"
    if not target or not attr:
        raise UsageError(f"model {name!r}: {ref!r} needs a module or file before ':' and a name after it")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        path = path.resolve()
        if not path.is_file():
            raise UsageError(f"model {name!r}: no file {path} (from {ref!r}); check the path"
                             + (f" (relative to {base})" if base is not None else ""))
        log(f"[models] {name}: {attr} from {path} (importing that file runs its code)")
        return _attribute(name, _import_file(name, path), attr, str(path)), f"{path}:{attr}"
    try:
        module = importlib.import_module(target)
    except Exception as err:  # noqa: BLE001 - ImportError or the module's own failure, on one line
        raise UsageError(f"model {name!r}: cannot import {target} ({_one_line(err)}); check the module path "
                         "or install it") from None
    log(f"[models] {name}: {attr} from the module {target} (imported; its code runs)")
    return _attribute(name, module, attr, target), ref


def ship_by_value(pickler_module) -> None:
    """Tell a cloudpickle (Ray's own) to send the imported model files' code by value."""
    for module in USER_MODULES.values():
        pickler_module.register_pickle_by_value(module)
