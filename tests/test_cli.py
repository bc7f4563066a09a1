"""The commands as users run them: stdout, stderr and exit codes checked separately."""

import io
import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import warmupctl
from warmupctl.cli import app

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "120"}

# The HF `cosine` golden row (anchors-schedules.md §2.0: T=10, W=3, peak=1), computed by hand:
# k/3 for k < 3, then ½(1 + cos(π(k−3)/7)).
GOLDEN_COSINE = [0.0, 1 / 3, 2 / 3, 1.0] + [
    0.5 * (1 + np.cos(np.pi * (k - 3) / 7)) for k in range(4, 10)
]
SMALL = ["--total", "10", "--peak-lr", "1.0", "--warmup", "linear:3", "--decay", "cosine"]


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input, env=ENV)


def test_version():
    r = run("--version")
    assert r.exit_code == 0
    assert r.stdout.strip() == f"warmupctl {warmupctl.__version__}"


def test_no_args_shows_help():
    r = run()
    assert "Usage" in r.output


@pytest.mark.parametrize("command", ["show", "lr", "export", "presets", "presets show"])
def test_help_everywhere(command):
    r = run(*command.split(), "--help")
    assert r.exit_code == 0, r.output
    assert "Usage" in r.stdout


def test_show_default_says_so_on_stderr():
    r = run("show")
    assert r.exit_code == 0
    assert "built-in default" in r.stderr
    assert "100,000 steps" in r.stdout
    assert "2,000 steps, 2% of the run, linear" in r.stdout
    assert "\x1b[" not in r.stdout  # NO_COLOR


def test_quiet_silences_the_notice():
    r = run("show", "-q")
    assert r.exit_code == 0 and r.stderr == ""


def test_quiet_before_the_command_and_on_presets(tmp_path):
    # CONTRACT §4 lists -q/--quiet among the program's options: before the command too
    assert "no SPEC given" in run("show").stderr
    for args in (["-q", "show"], ["--quiet", "lr", "5"], ["-q", "presets"],
                 ["presets", "-q"], ["presets", "show", "-q", "gpt3-small"]):
        r = run(*args)
        assert r.exit_code == 0 and r.stderr == "", (args, r.output)
    r = run("-q", "export", "-o", str(tmp_path / "s.csv"), "-f", "csv")
    assert r.exit_code == 0 and r.stderr == ""
    step, rate = (tmp_path / "s.csv").read_text().splitlines()[3].split(",")
    assert step == "2" and float(rate) == 2 * 3e-4 / 2000
    # the root option does not stick to the next invocation
    assert "no SPEC given" in run("show").stderr
    # errors are still shown
    r = run("-q", "show", "--total", "0")
    assert r.exit_code == 2 and r.stderr.startswith("warmupctl: error:")


def test_show_json_numbers():
    r = run("show", "--json", "-q")
    assert r.exit_code == 0
    info = json.loads(r.stdout)
    assert info["total_steps"] == 100_000
    assert info["warmup_steps"] == 2000
    assert info["warmup_fraction"] == 0.02
    assert info["peak_lr"] == 3e-4 and info["peak_step"] == 2000
    # final: cosine from 3e-4 to 3e-5 over 98,000 steps, one step before its end
    expected_final = 3e-5 + (3e-4 - 3e-5) * 0.5 * (1 + np.cos(np.pi * 97_999 / 98_000))
    assert info["final_lr"] == pytest.approx(expected_final, rel=1e-12)
    labels = [m["label"] for m in info["milestones"]]
    assert labels == ["start", "end of warmup", "25% of run", "50% of run", "75% of run",
                      "last step"]
    assert info["spec"]["phases"][0] == {"shape": "linear", "length": 2000, "from": 0.0,
                                         "to": 3e-4}


def test_show_preset_in_tokens():
    r = run("show", "gpt3-small", "--json")
    info = json.loads(r.stdout)
    assert info["total_steps"] == 600_000
    assert info["warmup_tokens"] == 375e6
    assert info["warmup_fraction"] == 0.00125
    ends = [m for m in info["milestones"] if m["label"] == "end of decay"]
    assert ends and ends[0]["step"] == 520_750 and ends[0]["tokens"] == 260.375e9
    assert r.stderr == ""
    text = run("show", "gpt3-small").stdout
    assert "375M tokens" in text and "Table 2.1" in text


def test_show_flags_override_a_spec():
    r = run("show", "gpt3-small", "--total", "1000", "--warmup", "linear:10%", "--json")
    assert r.exit_code == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["flags"] == "--total 1000 --warmup linear:10%"
    assert json.loads(run("show", "gpt3-small", "--json").stdout)["flags"] is None
    text = run("show", "gpt3-small", "--total", "1000").stdout
    assert "changed by --total 1000 (the description, source and note are the spec's" in text
    assert "changed by" not in run("show", "gpt3-small").stdout
    assert info["total_steps"] == 1000 and info["warmup_steps"] == 100


def test_lr_prints_exact_floats():
    r = run("lr", *SMALL, "0", "1", "2", "3", "4", "9")
    assert r.exit_code == 0, r.stderr
    values = [float(line) for line in r.stdout.splitlines()]
    assert values == pytest.approx([GOLDEN_COSINE[k] for k in (0, 1, 2, 3, 4, 9)], rel=1e-15)
    assert r.stdout.splitlines()[1] == repr(1 / 3)


def test_lr_preset_with_step_units_and_json():
    r = run("lr", "gpt3-small", "375Mtok", "50%", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["step"] == [750, 300_000]
    assert out["lr"][0] == 6e-4


def test_lr_out_of_range_is_a_usage_error():
    r = run("lr", "gpt3-small", "600000")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "outside the run" in r.stderr and "599,999" in r.stderr


def test_lr_without_steps():
    r = run("lr", "gpt3-small")
    assert r.exit_code == 2 and "at least one step" in r.stderr


def test_lr_from_stdin():
    spec = "total: 10\npeak_lr: 1.0\nwarmup: {shape: linear, length: 3}\ndecay: {shape: cosine}\n"
    r = run("lr", "-", "4", input=spec)
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == pytest.approx(GOLDEN_COSINE[4], rel=1e-15)


def test_bad_spec_file_gives_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("total: 10k\npeak_lr: 3.0e-4\nwarmup:\n  shape: linear\n  lenght: 2%\n")
    r = run("show", str(bad))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.strip() == (
        f"warmupctl: error: {bad}:5:3: warmup.lenght: unknown key (did you mean 'length'?)"
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["show", "no-such-file.yaml"], "no such file"),
        (["show", "gpt3-smal"], "did you mean 'gpt3-small'?"),
        (["show", "--warmup", "linear"], "--warmup needs SHAPE:LENGTH"),
        (["show", "--warmup", "linaer:2%"], "did you mean 'linear'?"),
        (["show", "--total", "lots"], "--total"),
        (["show", "--decay", "cosine:200%"], "above the peak"),
        (["export", "-f", "xml"], "unknown format"),
        (["presets", "show", "gpt5"], "no preset named"),
    ],
)
def test_usage_errors(args, fragment):
    r = run(*args)
    assert r.exit_code == 2
    assert fragment in r.stderr
    assert "Traceback" not in r.output


def test_export_json_every(tmp_path):
    out = tmp_path / "s.json"
    r = run("export", *SMALL, "-o", str(out), "--every", "4")
    assert r.exit_code == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["format"] == "warmupctl.schedule/v1"
    assert data["total_steps"] == 10 and data["every"] == 4
    assert data["step"] == [0, 4, 8, 9]  # the last step is always included
    assert data["lr"] == pytest.approx([GOLDEN_COSINE[k] for k in (0, 4, 8, 9)], rel=1e-15)
    assert data["spec"]["total"] == 10


def test_export_json_to_stdout_round_trips_bits():
    r = run("export", "gpt3-small", "--every", "997")
    data = json.loads(r.stdout)
    s = warmupctl.load("gpt3-small")
    assert data["step"][-1] == 599_999
    assert len(data["step"]) == len(data["lr"]) == 599_999 // 997 + 2
    for step, rate in zip(data["step"], data["lr"], strict=True):
        assert rate == s.lr(step)  # bit-exact after the text round trip


def test_export_csv(tmp_path):
    out = tmp_path / "s.csv"
    r = run("export", *SMALL, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "step,lr"
    assert len(lines) == 11
    rows = [line.split(",") for line in lines[1:]]
    assert [int(a) for a, _ in rows] == list(range(10))
    assert [float(b) for _, b in rows] == pytest.approx(GOLDEN_COSINE, rel=1e-15)


def test_export_npy_format_from_extension(tmp_path):
    out = tmp_path / "s.npy"
    r = run("export", *SMALL, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    arr = np.load(out)
    assert arr.dtype == np.float64 and arr.shape == (10,)
    np.testing.assert_allclose(arr, GOLDEN_COSINE, rtol=1e-15)


def test_failed_export_leaves_the_old_file(tmp_path):
    out = tmp_path / "s.json"
    out.write_text("old content")
    r = run("export", "--total", "10", "--warmup", "linear:20", "-o", str(out))
    assert r.exit_code == 2
    assert out.read_text() == "old content"
    assert os.listdir(tmp_path) == ["s.json"]


def test_export_interrupted_half_way_leaves_the_old_file(tmp_path, monkeypatch):
    from warmupctl import export

    out = tmp_path / "s.csv"
    out.write_text("old content")

    def broken(schedule, stream, every, progress=None):
        stream.write(b"step,lr\n0,0.0\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(export.WRITERS, "csv", broken)
    r = run("export", "-q", "-o", str(out))
    assert r.exit_code == 2
    assert "no space left" in r.stderr
    assert out.read_text() == "old content"
    assert os.listdir(tmp_path) == ["s.csv"]


def test_export_into_missing_folder(tmp_path):
    r = run("export", "-q", "-o", str(tmp_path / "nope" / "s.json"))
    assert r.exit_code == 2 and "does not exist" in r.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can write into read-only folders, so the failure cannot happen")
def test_export_into_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        r = run("export", "-q", "-o", str(folder / "s.json"))
        assert r.exit_code == 2 and "permission denied" in r.stderr
    finally:
        folder.chmod(0o700)


def test_presets_list_and_show():
    r = run("presets", "--json")
    assert r.exit_code == 0
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert {"gpt3-small", "transformer-base", "resnet50-goyal"} <= set(rows)
    assert all(row["source"] for row in rows.values())
    assert rows["gpt3-small"]["warmup_steps"] == 750
    r = run("presets", "show", "gpt3-small")
    assert r.exit_code == 0 and "arXiv:2005.14165" in r.stdout
    listing = run("presets").stdout  # 200 columns: the short citation has its own column
    row = next(line for line in listing.splitlines() if line.startswith("gpt3-small "))
    assert row.split() == ["gpt3-small", "600k", "300B", "750", "(0.125%)", "6e-04", "Brown",
                           "et", "al.", "2020"]
    resnet = next(line for line in listing.splitlines() if line.startswith("resnet50-goyal"))
    assert " 3.2 " in resnet and "e+00" not in resnet  # a rate from 0.01 up is plain
    narrow = runner.invoke(app, ["presets"], env={"NO_COLOR": "1", "COLUMNS": "80"}).stdout
    lines = narrow.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[lines.index(next(x for x in lines if x.startswith("gpt3-small "))) + 1] == (
        "Brown et al. 2020")


@pytest.mark.parametrize(("source", "short"), [
    ("Brown et al. 2020, Language Models are Few-Shot Learners, arXiv:2005.14165, Table 2.1",
     "Brown et al. 2020"),
    ("Kosson, Messmer, Jaggi 2024, Analyzing & Reducing", "Kosson, Messmer, Jaggi 2024"),
    ("karpathy/nanoGPT train.py defaults + config/train_gpt2.py (max_iters = 600000)",
     "karpathy/nanoGPT train.py defaults"),
    ("allenai/OLMo configs/x.yaml; OLMo et al. 2025", "allenai/OLMo configs/x.yaml"),
])
def test_short_citations(source, short):
    from warmupctl.cli.presets_cmd import short_citation

    assert short_citation(source) == short


# ---------------------------------------------------------------- the installed program


def _entry_point():
    exe = shutil.which("warmupctl", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "warmupctl"]


def test_installed_entry_point():
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(_entry_point() + ["lr", "gpt3-small", "750", "0"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "0.0006\n0.0\n"
    proc = subprocess.run(_entry_point() + ["show", "nope.yaml"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == "warmupctl: error: no such file: nope.yaml\n"
    assert proc.stdout == ""


def test_python_dash_m():
    proc = subprocess.run([sys.executable, "-m", "warmupctl", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("warmupctl ")


def test_show_does_not_import_matplotlib():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from warmupctl.cli import app\n"
        "r = CliRunner().invoke(app, ['show', 'gpt3-small'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_export_to_stdout_pipe_closed_early():
    proc = subprocess.Popen(_entry_point() + ["export", "-q", "-f", "csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    head = proc.stdout.read(20)
    proc.stdout.close()
    proc.wait(timeout=60)
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    assert head.startswith(b"step,lr")
    assert b"Traceback" not in err
    assert proc.returncode == 0


def _closed_pipe_run(args: list[str]) -> tuple[int, bytes]:
    """Run the program with its stdout a pipe whose reader is gone before anything is written."""
    proc = subprocess.Popen(_entry_point() + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the program has imported anything
    err = proc.stderr.read()
    proc.stderr.close()
    return proc.wait(timeout=60), err


@pytest.mark.parametrize("args, code", [
    (["show", "gpt3-small"], 0),
    (["presets"], 0),
    (["recommend", "--steps", "100k", "--batch", "512"], 0),
    (["validate", "bert-glue-finetune"], 0),
    # an error-level finding: the exit code is the verdict, whoever reads the table
    (["validate", "{post_ln}"], 1),
])
def test_tables_into_a_closed_pipe_exit_with_their_own_code(args, code, tmp_path):
    post_ln = tmp_path / "post-ln.yaml"
    post_ln.write_text("total: 1000\npeak_lr: 1.0e-3\ndecay: {shape: cosine}\n"
                       "training: {regime: pretrain, architecture: post-ln}\n")
    returncode, err = _closed_pipe_run([a.format(post_ln=post_ln) for a in args])
    assert b"Traceback" not in err
    assert returncode == code, err


def test_tables_have_no_trailing_spaces_off_a_terminal():
    for args in (["show", "gpt3-small"], ["validate", "bert-glue-finetune"],
                 ["recommend", "--steps", "100k", "--batch", "512"], ["presets"]):
        out = run(*args).stdout
        padded = [line for line in out.splitlines() if line != line.rstrip()]
        assert not padded, (args, padded[:3])


def test_library_load_matches_cli(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("total: 10\npeak_lr: 1.0\nwarmup: {shape: linear, length: 3}\n"
                    "decay: {shape: cosine}\n")
    s = warmupctl.load(spec)
    np.testing.assert_allclose(s.curve(), GOLDEN_COSINE, rtol=1e-15)
    buf = io.StringIO(run("export", str(spec), "-f", "csv").stdout)
    assert buf.readline() == "step,lr\n"


def test_absurd_export_asks_for_every_or_force(tmp_path):
    out = tmp_path / "s.json"
    r = run("export", "--total", "1T", "-q", "-o", str(out))
    assert r.exit_code == 2
    # 10^12 rows of about 36 bytes each
    assert "about 36 TB" in r.stderr and "--every" in r.stderr and "--force" in r.stderr
    assert not out.exists()
    r = run("export", "--total", "1T", "-q", "--every", "100B", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["step"] == [k * 10**11 for k in range(10)] + [10**12 - 1]


def test_the_suggested_every_can_be_pasted(tmp_path):
    out = tmp_path / "s.csv"
    r = run("export", "--total", "1T", "-q", "-f", "csv", "-o", str(out))
    assert r.exit_code == 2
    suggested = re.search(r"e\.g\. (--every \S+)", r.stderr).group(1).split()
    assert suggested == ["--every", "1000000"]
    r = run("export", "--total", "1T", "-q", "-f", "csv", *suggested, "-o", str(out))
    assert r.exit_code == 0, r.stderr
    with out.open() as lines:
        assert sum(1 for _ in lines) == 1 + 1_000_000 + 1  # header, rows, and the last step


@pytest.mark.parametrize(("text", "message"), [
    (b"total: 1000\npeak_lr: 1e-3\nphases: []\n",
     "3:1: phases: expected a list of phases, got an empty list"),
    (b"total: 1000\npeak_lr: 1e-3\ndecay: {shape: exponential, gamma: 10}\n",
     "3:1: decay: the exponential rate overflows to infinity by step 999"),
    (b"total: 1000\npeak_lr: \xff\n", "<stdin>: the input is not UTF-8 text"),
    (b"a" * 1_000_001, "specs are limited to 1,000,000 bytes and the input is longer than that"),
    # text that is not a spec is not quoted back (it may be any file given by mistake)
    (b"a" * 5000, "<stdin>: this does not look like a spec: it is text ("),
])
def test_bad_specs_on_stdin_get_one_plain_message(text, message):
    r = runner.invoke(app, ["show", "-"], input=text, env={"NO_COLOR": "1"})
    assert r.exit_code == 2
    assert message in r.stderr and "np.float64" not in r.stderr
    assert len(r.stderr) < 400 and "Traceback" not in r.stderr


def test_a_step_past_the_run_suggests_tokens_when_the_spec_has_them():
    r = run("lr", "gpt3-small", "1B")
    assert r.exit_code == 2
    assert "(a position in tokens is written '1B tokens')" in r.stderr
    assert "tokens" not in run("lr", "--total", "100", "1k").stderr


def test_export_refuses_a_format_its_file_name_contradicts(tmp_path):
    for fmt, name, other in (("csv", "x.json", "json"), ("torch", "t.csv", "csv"),
                             ("json", "x.npy", "npy")):
        r = run("export", "-q", "-f", fmt, "-o", str(tmp_path / name))
        assert r.exit_code == 2 and f"or choose -f {other}" in r.stderr
        assert not (tmp_path / name).exists()
    assert run("export", "-q", "-f", "hf", "-o", str(tmp_path / "hf.json")).exit_code == 0
    assert run("export", "-q", "-f", "torch", "-o", str(tmp_path / "s.py")).exit_code == 0


def test_recommend_refuses_two_documents_on_stdout():
    r = run("recommend", "--steps", "1000", "--batch", "8", "-o", "-", "--json")
    assert r.exit_code == 2 and "both write to stdout" in r.stderr and r.stdout == ""


def test_an_unnamed_spec_on_stdin_is_called_stdin_everywhere():
    text = "total: 1000\npeak_lr: 1e-3\n"
    assert json.loads(run("show", "-", "--json", input=text).stdout)["name"] == "stdin"
    assert run("show", "-", input=text).stdout.startswith("stdin\n")
    assert run("validate", "-", input=text).stdout.startswith("stdin: 1,000 steps")
    named = "name: mine\n" + text
    assert json.loads(run("show", "-", "--json", input=named).stdout)["name"] == "mine"


def test_a_short_total_on_the_default_names_the_flag_that_fixes_it():
    # the default's warmup is 2000 steps: a 1000-step run needs its own --warmup
    r = run("show", "--total", "1000", "-q")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert ("warmup.length: the warmup (2,000 steps) does not fit in the run (1,000 steps) "
            "(the default's warmup is 2000 steps: give --warmup too, e.g. --warmup linear:2%)"
            in r.stderr)
    # a bare length is a missing shape
    r = run("show", "--total", "1000", "--warmup", "2%", "-q")
    assert r.exit_code == 2
    assert "--warmup needs SHAPE:LENGTH (did you mean --warmup linear:2%?)" in r.stderr
    r = run("show", "--total", "1000", "--warmup", "linear:2%", "--json", "-q")
    assert r.exit_code == 0 and json.loads(r.stdout)["warmup_steps"] == 20


@pytest.mark.parametrize("args, line", [
    (["plot", "--lgo"],
     "warmupctl: error: No such option: --lgo (did you mean --log?) (see 'warmupctl plot -h')"),
    (["plot", "--dpi", "abc"], "warmupctl: error: Invalid value for '--dpi': 'abc' is not a "
                               "valid float (see 'warmupctl plot -h')"),
    (["bogus"], "warmupctl: error: No such command 'bogus' (see 'warmupctl -h')"),
    (["presets", "show"],
     "warmupctl: error: Missing argument 'name' (see 'warmupctl presets show -h')"),
])
def test_command_line_mistakes_are_one_error_line(args, line):
    r = run(*args)
    assert r.exit_code == 2
    assert r.stderr == line + "\n" and r.stdout == ""


def test_output_through_a_symlink_keeps_the_link_and_updates_its_target(tmp_path):
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    target.write_text("orig\n")
    link.symlink_to(target.name)
    r = run("export", "-f", "csv", "--every", "50000", "-o", str(link), "-q")
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and os.readlink(link) == "target.csv"
    rows = target.read_text().splitlines()
    # steps 0, 50,000 and the last one, 99,999
    assert rows[0] == "step,lr" and [row.split(",")[0] for row in rows[1:]] == [
        "0", "50000", "99999"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "target.csv"]


def test_output_to_a_fifo_writes_into_it_instead_of_replacing_it(tmp_path):
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    r = run("export", "-f", "csv", "--every", "50000", "-o", str(fifo), "-q")
    reader.join(timeout=20)
    assert r.exit_code == 0, r.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a FIFO, not a file renamed over it
    rows = [line.split(",") for line in got[0].splitlines()[1:]]
    assert [int(k) for k, _ in rows] == [0, 50_000, 99_999]
    # the default: linear warmup over 2,000 steps, cosine from 3e-4 to 3e-5 over 98,000
    cos = [3e-5 + 2.7e-4 * 0.5 * (1 + math.cos(math.pi * (t - 2000) / 98_000))
           for t in (50_000, 99_999)]
    assert float(rows[0][1]) == 0.0
    assert [float(v) for _, v in rows[1:]] == pytest.approx(cos, rel=1e-12)
