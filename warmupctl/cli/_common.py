"""What every command shares: option types, loading the schedule, output and error handling."""

import functools
import inspect
import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from .. import units
from ..engine import Schedule
from ..errors import SpecError, WarmupctlError
from ..loading import load, shadowed_preset
from ..spec import TRAINING_KEYS
from ..textsafe import PATH_LIMIT, bounded_quotes, visible
from ._app import ROOT, complete_decay, complete_spec, complete_warmup

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])

SCHEDULE_PANEL = "Schedule flags (override the spec, or the built-in default)"

SpecArg = Annotated[
    Optional[str],
    typer.Argument(
        help="Spec: a YAML file, '-' for stdin, or a preset name. Default: the built-in default.",
        show_default=False,
        autocompletion=complete_spec,
    ),
]
TotalOpt = Annotated[
    Optional[str],
    typer.Option("--total", help="Training length, warmup included: 100k, 90ep, '300B tokens'.",
                 rich_help_panel=SCHEDULE_PANEL, show_default=False),
]
PeakOpt = Annotated[
    Optional[str],
    typer.Option("--peak-lr", help="Peak learning rate, e.g. 3e-4.",
                 rich_help_panel=SCHEDULE_PANEL, show_default=False),
]
WarmupOpt = Annotated[
    Optional[str],
    typer.Option("--warmup", metavar="SHAPE:LENGTH",
                 help="Warmup, e.g. linear:2000, cosine:2%, exponential:5ep, or none.",
                 rich_help_panel=SCHEDULE_PANEL, show_default=False,
                 autocompletion=complete_warmup),
]
DecayOpt = Annotated[
    Optional[str],
    typer.Option("--decay", metavar="SHAPE[:FINAL_LR]",
                 help="Decay after warmup, e.g. cosine:10%, linear:0, wsd:0, constant, "
                      "inverse_sqrt.",
                 rich_help_panel=SCHEDULE_PANEL, show_default=False,
                 autocompletion=complete_decay),
]
TokensOpt = Annotated[
    Optional[str],
    typer.Option("--tokens-per-step", help="Tokens per optimizer step (for lengths in tokens).",
                 rich_help_panel=SCHEDULE_PANEL, show_default=False),
]
EpochOpt = Annotated[
    Optional[str],
    typer.Option("--steps-per-epoch", help="Optimizer steps per epoch (for lengths in epochs).",
                 rich_help_panel=SCHEDULE_PANEL, show_default=False),
]
TRAINING_PANEL = "Training facts (the spec's training: block, read by validate's rules)"
#: the training flags: (parameter name, flag, training key, help), names as `recommend` spells them
TRAINING_FLAGS = (
    ("regime", "--regime", "regime", "pretrain (from scratch) or finetune (from trained weights)."),
    ("optimizer", "--optimizer", "optimizer", "Optimizer name: adamw, adam, radam, sgd, lion…"),
    ("beta1", "--beta1", "beta1", "Adam's β1."),
    ("beta2", "--beta2", "beta2", "Adam's β2 (the untuned floor is 2/(1−β2) steps)."),
    ("eps", "--eps", "eps", "Adam's ε."),
    ("momentum", "--momentum", "momentum", "SGD momentum."),
    ("weight_decay", "--weight-decay", "weight_decay", "Weight decay."),
    ("grad_clip", "--grad-clip", "grad_clip", "Gradient clipping norm."),
    ("batch", "--batch", "batch_size",
     "Sequences (or images) per optimizer step, after accumulation, across devices."),
    ("seq_len", "--seq-len", "seq_len", "Tokens per sequence."),
    ("architecture", "--architecture", "architecture", "pre-ln, post-ln or other."),
)
# a training key added to the spec later gets a flag of its own name (training.init_std:
# --init-std), so every field of training: keeps a flag
TRAINING_FLAGS += tuple(
    (key, "--" + key.replace("_", "-"), key, f"training.{key}.")
    for key in TRAINING_KEYS if key not in {k for _, _, k, _ in TRAINING_FLAGS}
)
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No notices on stderr (errors are still shown).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


class _TrimmedLines:
    """A text stream that drops the spaces Rich pads lines with, for output that is not a
    terminal (files, pipes, diffs). Rich writes whole renders at once, so lines are never split
    between two writes."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        import re

        self._stream.write(re.sub(r"[ \t]+(?=\n|\Z)", "", text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def console(**kwargs: Any) -> "Console":
    """A Rich console on stdout for tables: NO_COLOR and terminals as Rich handles them, no
    trailing spaces when not a terminal, and a closed pipe (``| head``) ends the command with
    exit 0 through :func:`handle_errors` (Rich itself would exit 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    out = sys.stdout
    if out is None:  # started with stdout closed (`warmupctl show >&-`)
        raise OSError(9, "standard output is closed")
    if not out.isatty():
        out = _TrimmedLines(out)
    kwargs.setdefault("emoji", False)  # a name like ':fire:' stays text
    return _Console(file=out, **kwargs)


def inert(text: object, limit: int | None = None) -> str:
    """User text (a name, a description, a finding quoting one) for a Rich string: control
    characters and lone surrogates escaped (:func:`warmupctl.textsafe.visible`), then Rich
    markup escaped, so ``[/]`` or ESC bytes in a spec print as themselves."""
    from rich.markup import escape

    return escape(visible(text, limit))


def _stderr_line(text: str) -> None:
    """One line on stderr, every control character in it made visible; nothing when stderr is
    closed (there is no one to tell)."""
    err = sys.stderr
    if err is None:
        return
    try:
        err.write(visible(text) + "\n")
        err.flush()
    except (OSError, ValueError):
        pass


def fail(message: str) -> typer.Exit:
    """Print one error line on stderr; return the Exit(2) to raise."""
    _stderr_line(f"warmupctl: error: {bounded_quotes(message)}")
    return typer.Exit(2)


def notice(message: str, quiet: bool) -> None:
    if not (quiet or ROOT["quiet"]):
        _stderr_line(f"warmupctl: {message}")


def silence_stdout() -> None:
    """After a broken pipe: send what is left to /dev/null, so the final flush is quiet."""
    old = sys.stdout
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
    except OSError:
        return
    if old is not None and old is sys.__stdout__:
        # the process's own stdout, flushed again when Python exits, would report the same
        # failure: what is left in its buffer goes to /dev/null too
        try:
            os.dup2(sys.stdout.fileno(), old.fileno())
        except (OSError, ValueError):
            pass


def _python_interrupts() -> None:
    """Give Ctrl-C back to Python (KeyboardInterrupt) once a command runs: the program's
    start-up handler (warmupctl/cli/__init__.py) ends the process at once."""
    import signal

    try:
        if getattr(signal.getsignal(signal.SIGINT), "__name__", "") == "_interrupted":
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread
        pass


def os_error_text(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename is not None:
        return f"cannot use {visible(exc.filename, PATH_LIMIT)}: {reason}"
    return f"cannot write the output: {reason}"


def handle_errors(fn: F) -> F:
    """Map input errors to one stderr line and exit 2, Ctrl-C to exit 130 (docs/cli.md)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _python_interrupts()
        try:
            result = fn(*args, **kwargs)
            # flush here, so a reader that went away is seen below (click would exit 1)
            if sys.stdout is not None:
                sys.stdout.flush()
            return result
        except WarmupctlError as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            _stderr_line("warmupctl: interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # the reader went away (e.g. `| head`): not an error of ours
            silence_stdout()
            raise typer.Exit(0) from None
        except OSError as exc:
            # stdout on a full disk (`> /dev/full`), closed (`>&-`), or an I/O error: what is
            # left in its buffer cannot be written either
            silence_stdout()
            raise fail(os_error_text(exc)) from None

    wrapper.__doc__ = help_paragraphs(fn.__doc__)
    return wrapper  # type: ignore[return-value]


def help_paragraphs(doc: str | None) -> str | None:
    """A command's docstring with each paragraph on one line, so the terminal wraps the help
    (typer keeps the line breaks after the first paragraph, which print mid-sentence)."""
    if not doc:
        return doc
    import inspect
    import re

    return re.sub(r"(?<!\n)\n(?!\n)", " ", inspect.cleandoc(doc))


def _split(flag: str, value: str) -> tuple[str, str | None]:
    shape, sep, rest = value.partition(":")
    shape = shape.strip()
    if not shape:
        raise WarmupctlError(f"{flag} needs a shape, e.g. {flag} linear:2% (got {value!r})")
    return shape, (rest.strip() if sep else None)


def overrides(
    total: str | None = None,
    peak_lr: str | None = None,
    warmup: str | None = None,
    decay: str | None = None,
    tokens_per_step: str | None = None,
    steps_per_epoch: str | None = None,
    **training: str | None,
) -> dict[str, tuple[str, Any]]:
    """Schedule flags as top-level spec keys: ``{key: (flag, value)}`` (value None removes).
    Training flags (``beta2="0.95"``…) become ``training.beta2`` keys, which the spec parser
    merges into the spec's ``training:`` block one field at a time."""
    out: dict[str, tuple[str, Any]] = {}
    by_name = {name: (flag, key) for name, flag, key, _ in TRAINING_FLAGS}
    for name, value in training.items():
        if name not in by_name:
            raise TypeError(f"overrides() got an unexpected keyword argument {name!r}")
        if value is not None:
            flag, key = by_name[name]
            out[f"training.{key}"] = (flag, value)
    if total is not None:
        out["total"] = ("--total", total)
    if peak_lr is not None:
        out["peak_lr"] = ("--peak-lr", peak_lr)
        out["noam"] = ("--peak-lr", None)
    if warmup is not None:
        shape, length = _split("--warmup", warmup)
        if shape == "none":
            out["warmup"] = ("--warmup", None)
        else:
            if length is None and (shape[:1].isdigit() or shape[:1] == "."):
                # a bare length (--warmup 2%): the shape is missing, not the length
                raise WarmupctlError(f"--warmup needs SHAPE:LENGTH (did you mean --warmup "
                                     f"linear:{shape}?)")
            if length is None:
                raise WarmupctlError(
                    f"--warmup needs SHAPE:LENGTH, e.g. --warmup {shape}:2000 or {shape}:2%"
                )
            out["warmup"] = ("--warmup", {"shape": shape, "length": length})
    if decay is not None:
        shape, final = _split("--decay", decay)
        block: dict[str, Any] = {"shape": shape}
        if final is not None:
            block["final_lr"] = final
        out["decay"] = ("--decay", block)
    if tokens_per_step is not None:
        out["tokens_per_step"] = ("--tokens-per-step", tokens_per_step)
    if steps_per_epoch is not None:
        out["steps_per_epoch"] = ("--steps-per-epoch", steps_per_epoch)
    return out


_FLAG_PARAMETERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
    for name, ann in (("total", TotalOpt), ("peak_lr", PeakOpt), ("warmup", WarmupOpt),
                      ("decay", DecayOpt), ("tokens_per_step", TokensOpt),
                      ("steps_per_epoch", EpochOpt))
] + [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[str], typer.Option(flag, help=text, rich_help_panel=TRAINING_PANEL,
                                    show_default=False)])
    for name, flag, _, text in TRAINING_FLAGS
]


def schedule_flags(fn: F) -> F:
    """Give a command the schedule flags (--total, --peak-lr, --warmup, --decay,
    --tokens-per-step, --steps-per-epoch) and the training flags (--regime, --optimizer,
    --beta2, --batch…, :data:`TRAINING_FLAGS`) and pass them to it as one ``flags`` argument:
    the spec overrides that :func:`load_schedule` applies."""
    sig = inspect.signature(fn)
    own = [p for p in sig.parameters.values() if p.name != "flags"]
    # a command with an option of the same name keeps its own (and reads it itself)
    added = [p for p in _FLAG_PARAMETERS if p.name not in {q.name for q in own}]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {p.name: kwargs.pop(p.name, None) for p in added}
        return fn(*args, flags=overrides(**values), **kwargs)

    wrapper.__signature__ = sig.replace(parameters=own + added)  # type: ignore[attr-defined]
    annotations = {k: v for k, v in fn.__annotations__.items() if k != "flags"}
    annotations.update({p.name: p.annotation for p in added})
    wrapper.__annotations__ = annotations
    return wrapper  # type: ignore[return-value]


def flags_text(flags: dict[str, tuple[str, Any]]) -> str:
    """The schedule flags as typed: ``--total 5 --warmup linear:2%`` (for titles)."""
    words = []
    for flag, value in flags.values():
        if value is None and flag != "--warmup":
            continue  # the noam entry that --peak-lr removes
        if isinstance(value, dict):
            tail = value.get("length", value.get("final_lr"))
            value = value["shape"] + (f":{tail}" if tail is not None else "")
        words.append(f"{flag} {'none' if value is None else value}")
    return " ".join(words)


def load_schedule(spec: str | None, flags: dict[str, tuple[str, Any]], quiet: bool) -> Schedule:
    """The schedule a command works on: SPEC (or the built-in default) with the flags applied."""
    if spec is None:
        if flags:
            notice("no SPEC given: applying the flags to the built-in default schedule", quiet)
        else:
            notice("no SPEC given: using the built-in default schedule "
                   "(2000-step linear warmup, cosine to 10%, 100k steps; see docs/spec.md)", quiet)
    if shadowed_preset(spec):
        notice(f"using the file ./{spec}, not the preset of that name (the preset is "
               f"preset:{spec})", quiet)
    try:
        return load(spec, flags or None)
    except SpecError as exc:
        if spec is None and exc.path == "warmup.length" and "warmup" not in flags:
            # a short --total on the default: its warmup is a fixed 2000 steps, say which flag
            raise SpecError(exc.message, path=exc.path, line=exc.line, column=exc.column,
                            origin=exc.origin,
                            hint="the default's warmup is 2000 steps: give --warmup too, "
                                 "e.g. --warmup linear:2%") from None
        raise


def longest_word(texts: list[str]) -> int:
    """The longest space-separated word in ``texts``: a table column at least this wide never
    breaks an identifier (arXiv:1910.04209, cosine_warmup_with_min_lr) across lines."""
    return max((len(w) for t in texts for w in str(t).split()), default=1)


def fmt_lr(x: float) -> str:
    """A rate for people: 6e-04, 2.9985e-04, 0; from 0.01 up a plain decimal (3.2, 0.01), as the
    plot's rate axis writes them."""
    if x == 0:
        return "0"
    if 0.01 <= abs(x) < 1e4:
        return f"{x:.5g}"
    mantissa, exponent = f"{x:.4e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def count_option(flag: str, value: str | None) -> int | None:
    """A whole-number option written like a length: 100k, 1.2M, 1e6."""
    if value is None:
        return None
    try:
        n = units.parse_count(value, "a whole number")
    except units.UnitError as exc:
        raise WarmupctlError(f"{flag}: {exc}" + (f" ({exc.hint})" if exc.hint else "")) from None
    if n.denominator != 1:
        raise WarmupctlError(f"{flag}: expected a whole number, got {value!r}")
    return int(n)
