"""The conversation around the requests: "help", "what can you do?", "thanks", "never mind", "hello".

Which sentences are which is data (``talk.yaml`` beside this module; ``$IOTLM_HOME/talk.yaml`` replaces it). The
answers are built from this home: "help" gives examples with its own devices and rooms. Nothing here acts.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.coverage import WAKE_WORDS
from iotlm.agent.understand.index import HomeIndex
from iotlm.agent.understand.text import blank, normalise
from iotlm.automations.describe import join
from iotlm.device_drivers.model import Device, describe_device
from iotlm.errors import SetupError

__all__ = ["Talk", "load_talk"]


def load_talk(home: Path | None = None) -> Talk:
    """The built-in sentences, or the user's file in the data directory when there is one."""
    path = home / "talk.yaml" if home is not None else None
    try:
        text = path.read_text(encoding="utf-8") if path is not None and path.exists() else \
            resources.files("iotlm.agent").joinpath("talk.yaml").read_text(encoding="utf-8")
        raw = yaml.safe_load(text) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SetupError(f"talk file {path}: {exc}; fix it or remove it to use the built-in one") from exc
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise SetupError(f"talk file {path}: expected lists of sentences by kind, e.g. \"thanks: [thanks, thank you]\"")
    return Talk({str(kind): [normalise(str(s)) for s in said] for kind, said in raw.items()})


class Talk:
    def __init__(self, said: dict[str, list[str]]) -> None:
        self.kinds = {sentence: kind for kind, sentences in said.items() for sentence in sentences}

    def kind(self, text: str) -> str | None:
        """help, thanks, dismiss or greeting when that is the whole sentence; None for anything else."""
        said = " ".join(normalise(text).replace(",", " ").split()).strip(" ?!.")
        clean = said
        for filler in sorted((*lx.FILLER, *WAKE_WORDS), key=len, reverse=True):
            if filler not in ("thanks", "thank you", "hey", "ok", "okay"):
                clean = blank(clean, filler)
        clean = " ".join(clean.split()).strip(" ?!.")
        return self.kinds.get(said) or self.kinds.get(clean)

    def answer(self, kind: str, index: HomeIndex) -> str:
        if kind == "help":
            return help_text(list(index.devices.values()))
        if kind == "thanks":
            return "You're welcome."
        if kind == "greeting":
            return "Hello! Say what you'd like, or \"help\" for examples."
        return "OK, nothing to do."


def help_text(devices: list[Device]) -> str:
    """What iotlm can do, with examples from this home's own devices."""
    rooms = sorted({d.room for d in devices if d.room})
    by_type: dict[str, list[Device]] = {}
    for device in devices:
        by_type.setdefault(device.type, []).append(device)
    examples = []
    light = next((d for d in by_type.get("light", []) if "brightness" in d.attributes), None)
    if light is not None:
        name = describe_device(light, room="always").removeprefix("the ")
        examples += [f"\"turn on the {name}\"", f"\"dim the {name} to 30%\""]
    for kind, say in (("lock", "is the {} locked?"), ("cover", "open the {}"), ("media_player", "turn the {} up a bit")):
        found = next(iter(by_type.get(kind, [])), None)
        if found is not None:
            examples.append(f"\"{say.format(describe_device(found, room='always').removeprefix('the '))}\"")
    if rooms:
        examples += [f"\"what's the temperature in the {rooms[0]}?\"", f"\"it's too warm in the {rooms[-1]}\""]
    examples += ["\"in 10 minutes turn off the lights\"", "\"I'm leaving\"", "\"remember that I like the bedroom at 19 degrees\""]
    where = f" in {len(rooms)} rooms ({join(rooms, 'and')})" if rooms else ""
    return (f"I can control this home's {len(devices)} devices{where}, answer questions about them and the rooms, "
            f"schedule things for later and remember what you tell me. Try: {join(examples, 'or')}.")
