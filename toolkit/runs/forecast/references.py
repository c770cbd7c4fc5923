"""Importing the code a model reference names: ``package.module:ATTR``, ``path/to/file.py:ATTR``
or a toolkit builder's registry name.

Resolving a reference runs the code it names, as Python's own ``import`` does: a pipeline file
or a ``--models`` entry is trusted like a script, and the run prints what it imports. A file
is imported once per run under a private module name (so two models from one file share it),
with its own folder on the import path, as Python does for a script, so it can import the
modules beside it; a module is looked up from the pipeline file's folder (or the working
folder) first, as ``python -m`` and uvicorn do. The files and modules of yours imported so are
marked to travel by value to Ray workers, which do not have them.
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


def _yours(before: set[str], folder: Path) -> list:
    """Modules imported since ``before`` whose files lie in ``folder`` (yours, not installed)."""
    found = []
    for module_name in set(sys.modules) - before:
        module = sys.modules.get(module_name)
        file = getattr(module, "__file__", None)
        if not file or module_name.startswith("toolkit"):
            continue
        path = Path(file).resolve()
        if path.is_relative_to(folder) and not {"site-packages", "dist-packages"} & set(path.parts):
            found.append(module)
    return found


def _on_path(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _run_import(name: str, what: str, run):
    """``run()`` (an import), with the user's code's failures as one-line usage errors."""
    try:
        return run()
    except SystemExit as err:  # a script-like file that parses arguments or exits when imported
        raise UsageError(f"model {name!r}: importing {what} exited (SystemExit: {err.code}); a model file runs when "
                         "imported, so keep it to definitions (no argument parsing or exit at import)") from None
    except ModuleNotFoundError as err:
        raise UsageError(f"model {name!r}: importing {what} failed ({_one_line(err)}); what it imports must be "
                         "installed, or lie beside it or in the working folder") from None
    except Exception as err:  # noqa: BLE001 - the user's code: its own message, on one line
        raise UsageError(f"model {name!r}: importing {what} failed ({_one_line(err)}); fix it") from None


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
    _on_path(path.parent)  # as for a script: the file imports what lies beside it
    before = set(sys.modules)
    try:
        _run_import(name, str(path), lambda: spec.loader.exec_module(module))
    except UsageError:
        del sys.modules[module_name]
        raise
    USER_MODULES[path] = module
    for helper in _yours(before, path.parent):
        USER_MODULES.setdefault(Path(helper.__file__).resolve(), helper)
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
        if ref.endswith(".py") or "/" in ref or "\\" in ref:
            raise UsageError(f"model {name!r}: {ref!r} names a file but not what in it; add ':' and the name, e.g. "
                             f"{ref}:my_builder")
        from toolkit.builders import registered

        # The encoder-decoder trains on two inputs (teacher forcing): the built-in model seq2seq runs it.
        forecasting = {spec.name: spec for spec in registered()
                       if _takes_windows(spec.build) and spec.name != "seq2seq_lstm"}
        if ref == "seq2seq_lstm":
            raise UsageError(f"model {name!r}: seq2seq_lstm trains on two inputs (teacher forcing); use the built-in "
                             "model seq2seq, or Seq2SeqForecaster(units=...) in Python")
        if ref not in forecasting:
            raise UsageError(f"model {name!r}: {ref!r} is not a toolkit builder that forecasts windows; choose one of "
                             f"{', '.join(sorted(forecasting))}, or give 'package.module:ATTR' / "
                             "'path/to/file.py:ATTR'")
        log(f"[models] {name}: the toolkit builder {ref}")
        return forecasting[ref].build, f"toolkit builder {ref}"
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
    folder = (base or Path.cwd()).resolve()
    _on_path(folder)  # as python -m and uvicorn do: your modules beside the pipeline file, or here
    before = set(sys.modules)
    try:
        module = _run_import(name, target, lambda: importlib.import_module(target))
    except UsageError as err:
        if f"No module named '{target.split('.')[0]}'" in str(err):
            raise UsageError(f"model {name!r}: cannot import {target} (no module named {target.split('.')[0]!r} "
                             f"installed or in {folder}); check the module path or install it") from None
        raise
    for mine in _yours(before, folder):
        USER_MODULES.setdefault(Path(mine.__file__).resolve(), mine)
    log(f"[models] {name}: {attr} from the module {target} (imported; its code runs)")
    return _attribute(name, module, attr, target), ref


def _takes_windows(build) -> bool:
    import inspect

    parameters = inspect.signature(build).parameters
    forwards = any(p.kind == p.VAR_KEYWORD for p in parameters.values())  # stacked_gru passes outputs on
    return "window" in parameters and "n_features" in parameters and ("outputs" in parameters or forwards)


def ship_by_value(pickler_module) -> None:
    """Tell a cloudpickle (Ray's own) to send the imported model files' code by value."""
    for module in USER_MODULES.values():
        pickler_module.register_pickle_by_value(module)
