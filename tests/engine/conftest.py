"""An engine on a temporary database, talking to a simulator on 127.0.0.1."""

import asyncio

import pytest

from floridify_gui.engine import Engine, EngineSettings
from floridify_gui.simulator import Simulator, SimulatorConfig
from floridify_gui.wordlist import read_word_list_text


@pytest.fixture
def simulator():
    sim = Simulator(SimulatorConfig(batch_duration=0.2, shuffle_output=True)).start()
    yield sim
    sim.stop()


@pytest.fixture
def make_engine(tmp_path, simulator):
    """Return a function that runs `body(engine)` on a fresh event loop and closes the engine."""
    db_path = tmp_path / "floridify.sqlite3"

    def run(body, **settings):
        async def main():
            options = dict(api_key="sk-test-key", base_url=simulator.base_url, poll_interval=0.05,
                           max_poll_interval=0.2, retry_delay=0.01, max_retries=1)
            engine = Engine(db_path, EngineSettings(**{**options, **settings}))
            try:
                return await body(engine)
            finally:
                await engine.aclose()

        return asyncio.run(main())

    return run


async def import_text(engine, text: str) -> list[int]:
    """Import a word list given as text; return the word ids."""
    report = read_word_list_text(text)
    return await engine.import_entries(report.entries)


SENSES_CSV = (
    "headword,part_of_speech,definition,example\n"
    "bright,adjective,giving out much light,a bright lamp\n"
    "bright,adjective,intelligent and quick to learn,a bright pupil\n"
    "run,verb,move fast on foot,she runs every morning\n"
    "quiet,adjective,making little noise,a quiet street\n"
)
