"""AR, the renewal actor: RENOVACION messages from the GC become GA renewals.

Run alone: `python -m actors.renovacion --pretty`.
"""

from __future__ import annotations

from actors.published import PublishedOperationActor


class RenewalActor(PublishedOperationActor):
    proc = "AR"
    op = "RENOVAR"
    method = "renovar"


if __name__ == "__main__":
    from runtime.alone import run_alone

    run_alone("AR")
