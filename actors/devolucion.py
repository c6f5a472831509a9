"""AD, the return actor: DEVOLUCION messages from the GC become GA returns.

Run alone: `python -m actors.devolucion --pretty`.
"""

from __future__ import annotations

from actors.published import PublishedOperationActor


class ReturnActor(PublishedOperationActor):
    proc = "AD"
    op = "DEVOLVER"
    method = "devolver"


if __name__ == "__main__":
    from runtime.alone import run_alone

    run_alone("AD")
