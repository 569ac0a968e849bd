"""The ``gate simulate`` command."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from gate.cli.simulate.driver import Options, Simulation
from gate.cli.simulate.report import Report
from gate.config.settings import load_config


async def simulate(options: Options, out: TextIO = sys.stdout) -> Report:
    """Runs a simulation against the gate ``options.config`` describes.

    Raises SimulationFailed (or ConfigError) with a one-line reason.
    """
    config = load_config(options.config)
    return await Simulation(config, options, out).run()


def main(options: Options) -> int:
    """The ``gate simulate`` command: 0 when the run finished."""
    asyncio.run(simulate(options))
    return 0
