"""The benchmark's table: each figure, and its ratio to the reference."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    reference: float | None = None  # the same figure for bare pyzmq
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if self.reference in (None, 0):
            return None
        return self.value / self.reference

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "value": round(self.value, 3),
            "unit": self.unit,
            "reference": None if self.reference is None else round(self.reference, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": self.target,
        }


def render(rows: list[Row]) -> str:
    header = f"{'measure':<46} {'ours':>10} {'bare zmq':>10} {'ratio':>7}  target"
    lines = [header, "-" * len(header)]
    for row in rows:
        ref = "" if row.reference is None else f"{row.reference:8.2f}{row.unit[:2]:>2}"
        ratio = "" if row.ratio is None else f"{row.ratio:6.2f}x"
        lines.append(
            f"{row.name:<46} {row.value:>8.2f}{row.unit[:2]:>2} {ref:>10} "
            f"{ratio:>7}  {row.target}"
        )
    return "\n".join(lines)
