"""What a run's numbers depend on, named in every report."""

import keras

from toolkit.devices import instruction_set, numerics, training_device
from toolkit.runs.forecast.backtest import NUMERICS_KEY, library_versions


def test_numerics_names_device_threads_instruction_set_and_onednn(monkeypatch):
    words = numerics()
    assert words.startswith(training_device().split(", on ")[0])
    assert instruction_set() in words
    if keras.backend.backend() == "tensorflow" and not words.startswith("GPU"):
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
        assert numerics().endswith(", oneDNN off")
        monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
        assert numerics().endswith(", oneDNN on")


def test_the_instruction_set_is_read_from_the_cpu(monkeypatch):
    import builtins
    import io

    real_open = builtins.open

    def cpuinfo(flags):
        def fake(path, *args, **kwargs):
            if path == "/proc/cpuinfo":
                return io.StringIO(f"processor\t: 0\nflags\t\t: {flags}\n")
            return real_open(path, *args, **kwargs)
        return fake

    for flags, name in (("fpu sse avx avx2 avx512f", "AVX-512"), ("fpu sse avx avx2", "AVX2"), ("fpu avx", "AVX")):
        monkeypatch.setattr(builtins, "open", cpuinfo(flags))
        assert instruction_set() == name


def test_every_run_records_its_numerics_beside_the_versions():
    versions = library_versions()
    assert versions[NUMERICS_KEY] == numerics() and "keras" in versions


def test_tensorflow_oneDNN_banner_is_held_back_and_everything_else_passes(capfd):
    import os

    from toolkit import _ONEDNN_BANNER, _without_onednn_banner

    with _without_onednn_banner():
        os.write(2, f"{_ONEDNN_BANNER[0]}\nI0000 port.cc:153] {_ONEDNN_BANNER[1]} You may see ...\n".encode())
        os.write(2, b"a real warning\n")
    assert capfd.readouterr().err == "a real warning\n"


def test_a_fatal_message_while_tensorflow_loads_still_reaches_the_terminal(tmp_path):
    import os
    import subprocess
    import sys

    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "import os\n"
        "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
        "os.write(2, b'compiled to use AVX instructions, but these are not available on your machine\\n')\n"
        "os.abort()\n")
    done = subprocess.run([sys.executable, "-c", "import toolkit, tensorflow"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=60)
    assert done.returncode != 0
    assert "compiled to use AVX instructions" in done.stderr and "absl::InitializeLog" not in done.stderr
