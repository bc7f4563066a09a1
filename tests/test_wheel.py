"""Presets ship inside the wheel and are found from an installed copy, not only from a checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("hatchling", reason="building the wheel needs the hatchling backend")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (path,) = out.glob("warmupctl-*.whl")
    return path


def test_wheel_contains_every_preset(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("warmupctl/presets/")}
    expected = {p.name for p in (ROOT / "presets").glob("*.yaml")}
    assert expected and expected <= shipped


def test_installed_copy_finds_presets(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, timeout=300)
    code = (
        "import warmupctl, warmupctl.presets as p\n"
        f"assert warmupctl.__file__.startswith({str(target)!r}), warmupctl.__file__\n"
        "assert 'gpt3-small' in p.names()\n"
        "assert warmupctl.load('gpt3-small').warmup_steps == 750\n"
    )
    # run from an empty folder with only the installed copy ahead of site-packages
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(target), "PATH": ""}, timeout=60)
    assert proc.returncode == 0, proc.stderr
