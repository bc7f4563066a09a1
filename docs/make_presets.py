"""Regenerate docs/presets.md from the preset files: python docs/make_presets.py"""

from pathlib import Path

from warmupctl import presets

if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "presets.md"
    out.write_text(presets.markdown(), encoding="utf-8")
    print(f"wrote {out}")
