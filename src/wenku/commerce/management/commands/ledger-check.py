"""Lets ``wenku ledger-check`` work with a hyphen: Django finds commands by file name
and imports them with importlib, which accepts any name."""

from wenku.commerce.management.commands.ledger_check import Command

__all__ = ["Command"]
