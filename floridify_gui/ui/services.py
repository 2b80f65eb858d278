"""The engine objects every pane of the main window works with."""

from dataclasses import dataclass

from floridify_gui.storage import DatabaseWorker


@dataclass
class Services:
    """What the panes share.

    Attributes:
        engine: The floridify_gui.engine.Engine on the user's database.
        queue: The engine's JobQueue, which runs queued jobs one at a time.
        reader: A DatabaseWorker of its own for the views' heavier reads,
            so they never wait behind the engine's writes.
        bridge: The EngineBridge that turns engine events into Qt signals.
        endpoint: How messages name the endpoint the engine talks to:
            "OpenAI", "the built-in simulator" or a host (see
            `settings.endpoint_name`).
    """

    engine: object
    queue: object
    reader: DatabaseWorker
    bridge: object
    endpoint: str = "OpenAI"
