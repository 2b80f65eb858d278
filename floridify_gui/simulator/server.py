"""HTTP/1.1 server for the simulator, the `Simulator` handle and the blocking `serve` entry point."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from floridify_gui.simulator.api import Request, Response, SimulatorApp, json_response
from floridify_gui.simulator.config import SimulatorConfig
from floridify_gui.simulator.errors import ApiError
from floridify_gui.simulator.files import MAX_FILE_BYTES
from floridify_gui.simulator.state import load_state, save_state

logger = logging.getLogger("floridify_gui.simulator")

# Room for the multipart boundaries and headers around the largest allowed file.
_MAX_BODY_BYTES = MAX_FILE_BYTES + 1024 * 1024


class _SimulatorServer(ThreadingHTTPServer):
    """Threaded server that remembers open connections, so `stop` can close idle keep-alive ones."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: SimulatorApp) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a failed connection instead of printing a traceback to stderr as socketserver does."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            logger.debug("Connection from %s ended early: %s", client_address, error)
            return

        logger.exception("Simulator failed to serve a request from %s", client_address)

    def close_connections(self) -> None:
        """Shut down every open connection. Their handler threads then see end of stream and exit."""
        with self._connections_lock:
            connections = list(self._connections)

        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # The client closed it already.


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes. With Nagle's algorithm the body then waits for the
    # client's delayed ACK of the headers, which adds about 40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _SimulatorServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ApiError as error:
            # The unread body would corrupt the next request on this connection, so close it.
            self.close_connection = True
            self._send(json_response(error.status, error.body()))
            return

        path, _, query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.app.handle(Request(self.command, path, query, headers, body))
        self._send(response)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            return self._read_chunked()

        length_text = self.headers.get("content-length", "0")
        if not length_text.isdigit():
            raise ApiError(400, f"Invalid Content-Length header: {length_text!r}.")

        length = int(length_text)
        if length > _MAX_BODY_BYTES:
            raise ApiError(413, f"Failed to read the request body: {length} bytes exceed the 200 MB file limit. Split the file.")

        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError as error:
                raise ApiError(400, "Invalid chunked request body: a chunk size is not hexadecimal.") from error

            if size == 0:
                break

            total += size
            if total > _MAX_BODY_BYTES:
                raise ApiError(413, "Failed to read the request body: it exceeds the 200 MB file limit. Split the file.")

            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

        self._skip_trailers()
        return b"".join(chunks)

    def _skip_trailers(self) -> None:
        while self.rfile.readline(65536).strip():
            pass

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class Simulator:
    """An OpenAI-compatible server on localhost with simulated Batch API, chat completions and faults.

    Use it as a context manager or call `start` and `stop`::

        with Simulator(SimulatorConfig(batch_duration=0)) as sim:
            client = OpenAI(base_url=sim.base_url, api_key="sk-sim")
    """

    def __init__(self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0,
                 state_dir: str | Path | None = None) -> None:
        """Create a stopped simulator.

        Args:
            config: Fault rates and batch timing.
            host: Address to listen on.
            port: Port to listen on; 0 picks a free one.
            state_dir: Folder that keeps the files and batches between runs: they are
                restored by `start` and saved by `stop`. Without it they live in memory only.
        """
        self._app = SimulatorApp(config or SimulatorConfig())
        self._state_dir = Path(state_dir) if state_dir is not None else None
        self._host = host
        self._port = port
        self._server: _SimulatorServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The URL to pass as `base_url` to an OpenAI client, such as http://127.0.0.1:PORT/v1."""
        if self._server is None:
            raise RuntimeError("Failed to get the simulator URL: the simulator is not running. Call start() first.")

        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> Simulator:
        """Listen and serve in a background daemon thread. Returns self."""
        if self._server is not None:
            raise RuntimeError("Failed to start the simulator: it is already running.")

        if self._state_dir is not None:
            load_state(self._app.files, self._app.batches, self._state_dir)

        self._server = _SimulatorServer((self._host, self._port), self._app)
        # A short poll interval keeps stop() fast, because shutdown waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="floridify-simulator", daemon=True
        )
        self._thread.start()
        logger.debug("Simulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and open connections, and join the server thread."""
        if self._server is None:
            return

        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

        logger.debug("Simulator on port %s stopped", self._server.server_address[1])
        self._server = None
        self._thread = None
        if self._state_dir is not None:
            self._save_state()

    def _save_state(self) -> None:
        try:
            save_state(self._app.files, self._app.batches, self._state_dir)
        except OSError as error:
            # The batches in flight are lost; the client sends their requests again.
            logger.warning("Failed to save the simulator state to %s: %s", self._state_dir, error)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def configure(self, **changes: Any) -> None:
        """Change config fields while serving. Raises ValueError for an unknown field or invalid value."""
        self._app.live_config.update(changes)

    @property
    def config(self) -> SimulatorConfig:
        """A copy of the current config, with count faults as far as they are used up."""
        return self._app.live_config.snapshot()

    def stats(self) -> dict[str, Any]:
        """Return the counters also served at `GET /_simulator/stats`."""
        return self._app.stats_snapshot()


def serve(port: int, config: SimulatorConfig, host: str = "127.0.0.1") -> None:
    """Serve in the foreground until Ctrl+C, after printing the base URL."""
    simulator = Simulator(config, host=host, port=port).start()
    print(f"Simulator serving at {simulator.base_url} (press Ctrl+C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
