"""Text from a spec or a command line is inert when printed; YAML 1.1 surprises and files that
are not specs get a clear message (issue 13, items 4, 11 and 12)."""

import json
import os

import pytest
from typer.testing import CliRunner

from warmupctl.cli import app
from warmupctl.errors import SpecError
from warmupctl.loading import load

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
BASE = "total: 1000\npeak_lr: 1.0e-3\n"
ESC = "\x1b]0;pwned\x07\x1b[31m\x9b2J"


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input, env=ENV)


def _spec(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ markup and control bytes


@pytest.mark.parametrize("command", ["show", "validate"])
@pytest.mark.parametrize("name", ["[/]", "[bold]x[/bold", "a[/b]c", ":fire: \\"])
def test_rich_markup_in_a_name_prints_as_written(tmp_path, command, name):
    path = _spec(tmp_path, f"name: {json.dumps(name)}\n" + BASE)
    r = run(command, path)
    assert r.exit_code == 0, r.stderr
    assert "Traceback" not in r.stderr and r.stderr == ""
    assert r.stdout.splitlines()[0].startswith(name)


def test_markup_and_escapes_in_an_optimizer_name_reach_validate_inert(tmp_path):
    # the unknown-optimizer finding quotes the name in the table
    path = _spec(tmp_path, BASE + "training: {optimizer: " + json.dumps("[/]" + ESC) + "}\n")
    r = run("validate", path)
    assert r.exit_code == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout and "\x9b" not in r.stdout
    assert "[/]\\x1b]0;pwned" in r.stdout.replace("│", "").replace(" ", "")


@pytest.mark.parametrize("command", ["show", "validate"])
def test_escape_bytes_in_names_and_descriptions_are_shown_not_sent(tmp_path, command):
    path = _spec(tmp_path, f"name: {json.dumps(ESC)}\ndescription: {json.dumps(ESC)}\n" + BASE)
    r = run(command, path)
    assert r.exit_code == 0, r.stderr
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in r.stdout
    assert "\\x1b]0;pwned\\x07\\x1b[31m\\x9b2J" in r.stdout


def test_error_lines_show_control_characters_of_file_names(tmp_path):
    r = run("show", str(tmp_path / ("x" + ESC + "\nwarmupctl: fake.yaml")))
    assert r.exit_code == 2
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert r.stderr.count("\n") == 1  # one line: no forged second message
    assert "\\x0awarmupctl: fake.yaml" in r.stderr


def test_quotes_in_error_messages_are_bounded(tmp_path):
    path = _spec(tmp_path, "total: 1000\npeak_lr: 1.0e-3\nwarmup: {shape: " + "w" * 5000
                 + ", length: 10}\n")
    r = run("show", path)
    assert r.exit_code == 2
    assert "w" * 81 not in r.stderr and "w" * 80 + "…" in r.stderr and len(r.stderr) < 400


def test_bounded_quotes_shortens_only_quoted_values():
    from warmupctl.textsafe import bounded_quotes

    long = "x" * 200
    out = bounded_quotes(f"the spec's key {long!r} and 'short', it's")
    assert out == "the spec's key '" + "x" * 80 + "…' and 'short', it's"
    assert bounded_quotes("a \"" + long + "\" b") == "a \"" + "x" * 80 + "…\" b"


@pytest.mark.parametrize("text", ['name: "\\ud800x"\n', 'description: "a\\udfffb"\n',
                                  'training: {optimizer: "\\ud83d"}\n', '"\\ud800": 1\n'])
def test_a_lone_surrogate_is_a_spec_error(tmp_path, text):
    path = _spec(tmp_path, text + BASE)
    with pytest.raises(SpecError, match=r"contains \\ud8|contains \\udf") as info:
        load(path)
    assert info.value.line == 1
    for args in (["show", path], ["export", "-f", "json", "-o", "-", path], ["validate", path],
                 ["plot", path, "-o", str(tmp_path / "x.png")]):
        r = run(*args)
        assert r.exit_code == 2, (args, r.stdout)
        assert r.stderr.startswith("warmupctl: error: ") and r.stderr.count("\n") == 1
        assert r.stderr.encode("utf-8")  # printable: no surrogate left in the message


def test_a_surrogate_pair_written_as_one_character_is_fine(tmp_path):
    path = _spec(tmp_path, 'name: "\\U0001F600 run"\n' + BASE)
    assert load(path).name == "\U0001F600 run"


# ------------------------------------------------------------------ YAML 1.1 readings


@pytest.mark.parametrize(("value", "fragment"), [
    ("017", "'017' is an octal number in YAML 1.1 (15), not 17 (write 17 without"),
    ("-010", "(-8), not -10 (write -10"),
    ("0_17", "octal number"),
    ("1:30", "'1:30' is a base-60 number in YAML 1.1 (90)"),
    ("1:00:00", "(3,600)"),
    ("1:30.5", "(90.5)"),
])
def test_yaml_1_1_octal_and_base_60_numbers_are_refused(tmp_path, value, fragment):
    for text in (f"total: {value}\npeak_lr: 1.0e-3\n",
                 f"total: 1000\npeak_lr: 1.0e-3\nwarmup: {{shape: linear, length: {value}}}\n"):
        path = _spec(tmp_path, text)
        with pytest.raises(SpecError) as info:
            load(path)
        assert fragment in str(info.value)
        assert info.value.line == text.count("\n", 0, text.index(value)) + 1


@pytest.mark.parametrize("value", ["0", "07", "00", "10", "'017'", '"1:30"', "0x1F", "1_000",
                                   "1.5e3"])
def test_numbers_that_read_the_same_either_way_are_accepted(tmp_path, value):
    path = _spec(tmp_path, f"name: {value}\n" + BASE)
    load(path)


def test_a_merge_overridden_by_an_explicit_key_is_reported(tmp_path):
    text = ("base: &b {shape: linear, length: 10}\n" + BASE
            + "warmup:\n  <<: *b\n  length: 20\n")
    # `base` itself is not a spec key: the duplicate is found first, at the explicit key
    with pytest.raises(SpecError) as info:
        load(_spec(tmp_path, text))
    assert info.value.line == 6 and info.value.path == "warmup.length"
    assert "given twice" in str(info.value) and "'<<' merge" in str(info.value)
    # the key may come before the merge too: PyYAML keeps the explicit one either way
    text = "x: &b {length: 10}\n" + BASE + "warmup:\n  length: 20\n  <<: *b\n"
    with pytest.raises(SpecError, match="given twice"):
        load(_spec(tmp_path, text))


# ------------------------------------------------------------------ misleading messages


def test_a_non_name_key_points_at_its_own_line(tmp_path):
    with pytest.raises(SpecError) as info:
        load(_spec(tmp_path, BASE + "1: 2\n"))
    assert (info.value.line, info.value.column) == (3, 1)
    assert "keys must be names, got 1" in str(info.value)
    with pytest.raises(SpecError) as info:
        load(_spec(tmp_path, BASE + "warmup:\n  shape: linear\n  true: 5\n"))
    assert info.value.line == 5 and "got True" in str(info.value)


@pytest.mark.parametrize(("path", "fragment"), [
    ("/dev/zero", "/dev/zero: this is a character device that gives more than 1,000,000 bytes"),
    ("/dev/urandom", "a character device that gives more than"),
])
def test_devices_are_read_bounded_and_named(path, fragment):
    r = run("show", path)
    assert r.exit_code == 2 and fragment in r.stderr, r.stderr


def test_a_named_pipe_is_read_as_a_spec(tmp_path):
    import threading

    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "w") as out:  # waits for the reader
            out.write("total: 10\npeak_lr: 0.5\n")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        r = run("lr", str(fifo), "3")
    finally:
        # a writer still waiting for a reader (the spec was not read) is let go
        unblock = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        thread.join(timeout=10)
        os.close(unblock)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "0.5\n"


def test_a_symlink_loop_is_named(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    r = run("show", str(tmp_path / "a"))
    assert r.exit_code == 2
    assert "it is a loop of symbolic links" in r.stderr and "no such file" not in r.stderr


@pytest.mark.parametrize("text", [
    "root:$6$secretsalt$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
    "- secret-one\n- secret-two\n",
])
def test_a_file_that_is_not_a_spec_is_not_quoted(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    _spec(tmp_path, text, "shadow")
    r = run("show", "shadow")
    assert r.exit_code == 2
    assert "this does not look like a spec" in r.stderr
    for word in ("secret", "hash", "OPENSSH", "b3Bl", "root", "daemon"):
        assert word not in r.stderr


def test_a_file_named_like_a_preset_wins_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gpt3-small").write_text("total: 10\npeak_lr: 0.5\n")
    r = run("lr", "gpt3-small", "0")
    assert r.exit_code == 0 and r.stdout == "0.5\n"
    assert r.stderr == ("warmupctl: using the file ./gpt3-small, not the preset of that name "
                        "(the preset is preset:gpt3-small)\n")
    r = run("lr", "preset:gpt3-small", "0")
    assert r.exit_code == 0 and r.stdout == "0.0\n" and r.stderr == ""
    assert run("-q", "lr", "gpt3-small", "0").stderr == ""


def test_spec_errors_quote_at_most_80_characters_for_library_callers():
    with pytest.raises(SpecError) as info:
        load({"total": 1000, "peak_lr": 1e-3, "warmup": {"shape": "z" * 1000, "length": 10}})
    assert "z" * 81 not in str(info.value) and "z" * 80 + "…'" in str(info.value)


def test_a_file_name_that_is_not_utf8_names_the_spec_inertly(tmp_path):
    # an unnamed spec is called by its file name; bytes that are not UTF-8 arrive as lone
    # surrogates ('\udcff'), which no JSON export or terminal can encode
    path = os.path.join(os.fsencode(tmp_path), b"\xff\x1brun.yaml")
    with open(path, "w") as out:
        out.write(BASE)
    name = os.fsdecode(path)
    assert load(name).name == "\\xff\\x1brun"
    r = run("export", "-q", "-f", "json", "-o", "-", name)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "\\xff\\x1brun"


def test_a_lone_surrogate_from_python_or_a_flag_is_a_spec_error():
    with pytest.raises(SpecError, match=r"name: .*contains \\ud800") as info:
        load({"name": "x\ud800", "total": 10, "peak_lr": 1e-3})
    assert info.value.path == "name"
    with pytest.raises(SpecError, match=r"contains \\udcff"):
        load({"total": 10, "peak_lr": 1e-3, "training": {"optimizer": "\udcff"}})
    # a command-line value with a byte that is not UTF-8 arrives as a lone surrogate
    r = run("-q", "show", "--total", "1\udcff0")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert "\\udcff" in r.stderr
