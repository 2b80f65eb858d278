"""Scheduling coroutines from Qt slots.

qasync's `asyncSlot` raises "asyncSlot was not callable from Signal" when a
signal delivers no arguments (`clicked`, `timeout`) to a coroutine whose
signature does not match, so every slot here is a plain function that hands
its coroutine to `run_task`. `run_task` keeps a reference to each task (the
event loop keeps only weak ones, so an unreferenced task can be garbage
collected mid-flight) and reports the exception of a task that fails.
"""

import asyncio
import logging
from typing import Any, Callable, Coroutine

log = logging.getLogger("floridify_gui.ui")

ErrorHandler = Callable[[BaseException], None]

_tasks: set[asyncio.Task] = set()
_default_error_handler: ErrorHandler | None = None


def set_error_handler(handler: ErrorHandler | None) -> None:
    """Set the function that reports exceptions of tasks started without `on_error`.

    The main window installs one that shows a message box; without one, the
    exception is only logged.
    """
    global _default_error_handler
    _default_error_handler = handler


def run_task(
    coro: Coroutine[Any, Any, Any],
    *,
    on_error: ErrorHandler | None = None,
    on_done: Callable[[Any], None] | None = None,
    name: str | None = None,
) -> asyncio.Task:
    """Schedule `coro` on the running event loop and keep it referenced until it ends.

    Args:
        coro: The coroutine to run.
        on_error: Called with the exception if the coroutine raises one;
            defaults to the handler set with `set_error_handler`.
            Cancellation is not an error and calls nothing.
        on_done: Called with the coroutine's result when it returns normally.
        name: Task name, shown in logs and in `pending_tasks()`.

    Returns:
        The task, which the caller may cancel.
    """
    loop = asyncio.get_event_loop()
    task = loop.create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(lambda finished: _finish(finished, on_error, on_done))
    return task


def _finish(task: asyncio.Task, on_error: ErrorHandler | None, on_done: Callable[[Any], None] | None) -> None:
    _tasks.discard(task)
    if task.cancelled():
        log.debug("Task %s was cancelled", task.get_name())
        return

    error = task.exception()
    if error is None:
        if on_done is not None:
            on_done(task.result())
        return

    _report(task.get_name(), error, on_error or _default_error_handler)


def _report(task_name: str, error: BaseException, handler: ErrorHandler | None) -> None:
    if handler is None:
        log.error("Task %s failed", task_name, exc_info=error)
        return

    try:
        handler(error)
    except Exception:
        # A failing error handler must not hide the original error.
        log.exception("Failed to report the error of task %s", task_name)
        log.error("Task %s failed", task_name, exc_info=error)


def report_error(error: BaseException) -> None:
    """Report `error` like a failed task's: through the handler set with `set_error_handler`."""
    _report("(direct report)", error, _default_error_handler)


def pending_tasks() -> list[asyncio.Task]:
    """Return the tasks started with `run_task` that have not ended."""
    return [task for task in _tasks if not task.done()]


async def cancel_all(timeout: float = 5.0) -> None:
    """Cancel every pending task and wait up to `timeout` seconds for them to end.

    Used at shutdown so that no task is destroyed while pending.
    """
    tasks = pending_tasks()
    current = asyncio.current_task()
    tasks = [task for task in tasks if task is not current]
    for task in tasks:
        task.cancel()

    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
        log.debug("Cancelled %s pending UI task(s)", len(tasks))

