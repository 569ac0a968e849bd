"""The commands: ``gate serve``, ``compile``, ``lookup``, ``approve``, ``audit``, ``simulate``.

The top layer: a command may import any layer below it; nothing imports a command.
"""
