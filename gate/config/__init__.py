"""The configuration file: ``settings`` reads gate.toml into frozen values, ``readers`` its
``[[readers]]`` tables. Loaded by every layer above the core; imports only the core.
"""
