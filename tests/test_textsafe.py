"""User text made inert for display: every control character and lone surrogate escaped."""

from warmupctl.textsafe import quote, visible


def test_controls_and_surrogates_become_escapes():
    assert visible("a\x1b]0;pwn\x07b") == "a\\x1b]0;pwn\\x07b"
    assert visible("x\ny\tz\r") == "x\\x0ay\\x09z\\x0d"
    assert visible("\x9b31m") == "\\x9b31m"  # C1 CSI
    assert visible("\ud800x") == "\\ud800x"
    assert visible("\x7f") == "\\x7f"
    assert visible("plain é ü 日本") == "plain é ü 日本"


def test_long_text_is_shortened_and_quoted():
    out = quote("a" * 500)
    assert len(out) == 82 and out.endswith("…'") and out.startswith("'a")
    assert visible("abc", limit=3) == "abc"
    assert visible("abcd", limit=3) == "ab…"
    # the result always encodes (no surrogates left)
    visible("\udcff" * 3).encode("utf-8")
