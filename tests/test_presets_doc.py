"""docs/presets.md is generated from the preset files and must match them."""

from pathlib import Path

from warmupctl import presets

DOC = Path(__file__).resolve().parent.parent / "docs" / "presets.md"


def test_presets_doc_is_up_to_date():
    assert DOC.read_text() == presets.markdown(), (
        "docs/presets.md is stale: run `python docs/make_presets.py`"
    )


def test_every_preset_is_listed_with_its_source():
    text = DOC.read_text()
    for name in presets.names():
        assert f"| `{name}` |" in text
