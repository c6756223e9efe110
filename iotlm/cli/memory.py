"""``iotlm memory add | search | list | share | forget | rebuild | export``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from iotlm.cli.shared import Commands, settings_for, usage
from iotlm.memory.store import KINDS
from iotlm.tools.hookspecs import hookimpl


@hookimpl
def register_commands(commands: Commands) -> None:
    memory = commands.add("memory", help="what iotlm remembers: add, search, list, forget, rebuild, export")
    verbs = memory.add_subparsers(title="actions", dest="memory")

    p = verbs.add_parser("add", help="remember a fact or a preference")
    commands.home_only(p)
    p.add_argument("text")
    p.add_argument("--kind", choices=list(KINDS), default="fact")
    p.add_argument("--user", default="owner")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_memory)

    p = verbs.add_parser("search", help="the memories nearest a question")
    commands.home_only(p)
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--kind", choices=list(KINDS))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_memory)

    for name, text in (("list", "every memory"), ("rebuild", "rebuild the vector index from SQLite"),
                       ("export", "everything remembered, as JSON")):
        p = verbs.add_parser(name, help=text)
        commands.home_only(p)
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=cmd_memory)

    p = verbs.add_parser("purge", help="delete device state history older than --days (default: keep_history_days, 90)")
    commands.home_only(p)
    p.add_argument("--days", type=float, help="keep this many days of history")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_memory)

    p = verbs.add_parser("share", help="share a memory or taught phrase with the whole household (it is its person's "
                                       "own until then); --undo takes it back")
    commands.home_only(p)
    p.add_argument("id", type=int)
    p.add_argument("--undo", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_memory)

    p = verbs.add_parser("forget", help="delete a memory: the row, its embedding and its index entry")
    commands.home_only(p)
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_memory)
    memory.set_defaults(func=usage(memory))


def open_memory(home: Any) -> Any:
    from iotlm.memory.embeddings import MiniLMEmbedder
    from iotlm.memory.memory import Memory
    from iotlm.memory.store import MemoryStore

    return Memory(MemoryStore(home / "iotlm.db"), MiniLMEmbedder(), home)


def cmd_memory(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if args.memory == "purge":  # the store only: no embedder to load
        from iotlm.memory.store import MemoryStore

        days = args.days if args.days is not None else settings.keep_history_days
        if days <= 0:
            print(f"iotlm: error: --days {days:g}: keep at least a fraction of a day, e.g. --days 0.5", file=sys.stderr)
            return 2
        store = MemoryStore(settings.home / "iotlm.db")
        try:
            deleted = store.purge(keep_history_days=days)
        finally:
            store.close()
        print(json.dumps({"deleted": deleted, "kept_days": days}) if args.json else
              f"deleted {deleted} state changes older than {days:g} days")
        return 0
    if args.memory == "share":  # the store only: no embedder to load
        from iotlm.memory.store import MemoryStore

        store = MemoryStore(settings.home / "iotlm.db")
        try:
            found = store.memory(args.id)
            if found is None or not store.share(args.id, not args.undo):
                print(f"iotlm: error: there is no memory #{args.id} (see iotlm memory list)", file=sys.stderr)
                return 2
        finally:
            store.close()
        print(json.dumps({"id": args.id, "shared": not args.undo}) if args.json else
              f"#{args.id} ({found['user']}'s {found['kind']}) is now {'shared with the household' if not args.undo else 'theirs alone'}")
        return 0
    mem = open_memory(settings.home)
    try:
        out: Any
        if args.memory == "add":
            out = {"id": mem.add(args.text, kind=args.kind, user=args.user)}
            text = f"remembered as #{out['id']}"
        elif args.memory == "search":
            out = mem.search(args.query, args.k, kind=args.kind)
            text = "\n".join(f"#{m['id']} ({m['kind']}, {m['score']:.2f}) {m['text']}" for m in out) or "nothing found"
        elif args.memory == "list":
            out = mem.store.memories()
            text = "\n".join(f"#{m['id']} {datetime.fromtimestamp(m['time']):%Y-%m-%d %H:%M} {m['user']} ({m['kind']}"
                             f"{', shared' if m['shared'] else ''}): {m['text']}" for m in out) or "no memories yet"
        elif args.memory == "forget":
            gone = mem.forget(args.id)
            out = {"forgotten": gone, "id": args.id}
            if not gone:
                print(f"iotlm: error: there is no memory #{args.id} (see iotlm memory list)", file=sys.stderr)
                return 2
            text = f"forgot #{args.id}"
        elif args.memory == "rebuild":
            out = {"indexed": mem.rebuild()}
            text = f"index rebuilt: {out['indexed']} memories"
        else:
            out = mem.export()
            args.json = True
            text = ""
    finally:
        mem.store.close()
    print(json.dumps(out, indent=2, ensure_ascii=False) if args.json else text)
    return 0


__all__ = ["cmd_memory", "open_memory", "register_commands"]
