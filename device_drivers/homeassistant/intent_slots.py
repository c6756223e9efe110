"""Home Assistant's intent slots (``home-assistant-intents``) that carry a device's value, in the canonical model.

The sentence templates name a value by Home Assistant's own word for it; readers above the drivers speak only the
canonical model, so the words meet here, with the rest of Home Assistant's vocabulary.
"""

from __future__ import annotations

VALUE_SLOTS = {"brightness": "brightness", "temperature": "temperature", "position": "position",
               "percentage": "fan_speed", "volume_level": "volume"}
"""Slot -> canonical attribute concept."""
SLOT_OF = {concept: slot for slot, concept in VALUE_SLOTS.items()}
"""Canonical concept -> the slot a template fills with it."""

__all__ = ["SLOT_OF", "VALUE_SLOTS"]
