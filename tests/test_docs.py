"""The docs stay true: every command is documented, the README's commands are what CI runs."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmupctl.cli import app

ROOT = Path(__file__).resolve().parent.parent


def command_names():
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", text, re.S)
    assert len(blocks) >= 2
    main_cmd, test_cmd = blocks[0].strip(), blocks[1].strip()
    assert "pip install ." in main_cmd and main_cmd.endswith("warmupctl plot")
    assert "pip install -e '.[test]'" in test_cmd and "pytest" in test_cmd


def test_ci_runs_exactly_the_readme_test_command():
    text = (ROOT / "README.md").read_text()
    test_cmd = re.findall(r"```bash\n(.*?)\n```", text, re.S)[1].strip()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in ci, "the README's test command must appear verbatim in .ci/run"


@pytest.mark.parametrize("name", command_names())
def test_every_command_is_documented_and_has_help(name):
    docs = "\n".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    assert re.search(rf"^#+ .*\b{re.escape(name)}\b", docs, re.M), f"no docs heading for {name}"
    r = CliRunner().invoke(app, [name, "--help"])
    assert r.exit_code == 0 and "Usage" in r.stdout


def test_the_validate_example_in_advisor_md_is_what_validate_prints():
    text = (ROOT / "docs" / "advisor.md").read_text()
    start = text.index("$ warmupctl validate bert-glue-finetune\n")
    block = text[start:text.index("```", start)].split("\n", 1)[1]
    r = CliRunner().invoke(app, ["validate", "bert-glue-finetune"],
                           env={"NO_COLOR": "1", "COLUMNS": "100"})
    assert r.exit_code == 0
    assert r.stdout == block
