"""Run every bench_*.py in this folder, one subprocess after another, and report which failed.

`make bench` calls this script with QT_QPA_PLATFORM=offscreen, which the benchmarks inherit.
Exit status is 1 when any benchmark exits non-zero, 0 otherwise. A benchmark that misses its
speed or memory target still exits 0, so only a broken run fails here.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def run_benchmark(script: Path) -> int:
    """Run one benchmark from the project root with this interpreter; return its exit status."""
    print(f"=== {script.name}", flush=True)
    started = time.perf_counter()
    status = subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False).returncode
    print(f"=== {script.name}: exit status {status} after {time.perf_counter() - started:.1f} s\n", flush=True)
    return status


def main() -> int:
    """Run the benchmarks in name order; return 1 when any of them failed."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if not scripts:
        print(f"Failed to find benchmarks: no bench_*.py in {HERE}.", file=sys.stderr)
        return 1

    failed = [script.name for script in scripts if run_benchmark(script) != 0]
    if failed:
        print(f"Failed benchmarks: {', '.join(failed)}. Their output above shows why.", file=sys.stderr)
        return 1

    print(f"All {len(scripts)} benchmarks ran.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
