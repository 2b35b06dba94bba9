"""Keyhouse: self-hostable management of an organization's API keys."""

__version__ = "0.1.0"
