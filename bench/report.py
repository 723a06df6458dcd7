"""Figures, their targets, and the table printed side by side."""

from __future__ import annotations

from dataclasses import dataclass, field

from .wrk import Load


@dataclass
class Figure:
    key: str
    what: str
    load: Load | None = None
    value: float | None = None  # requests/s unless ``unit`` says otherwise
    unit: str = "req/s"
    baseline: str | None = None  # key of the figure this one is compared with
    baseline_value: float | None = None
    baseline_label: str = ""
    target: float | None = None  # ratio to reach (or, for costs, not to pass)
    ratio_is_cost: bool = False  # ratio = baseline / value (how much dearer), lower is better
    absolute: float | None = None  # a target in the figure's own unit
    lower_is_better: bool = False
    ratio: float | None = None
    met: bool | None = None
    extra: dict = field(default_factory=dict)

    def resolve(self, figures: dict[str, Figure]) -> None:
        if self.value is None and self.load is not None:
            self.value = self.load.rps
        if self.baseline:
            other = figures[self.baseline]
            self.baseline_value = other.value if other.value is not None else other.load.rps
            self.baseline_label = f"{self.baseline_value:,.1f} ({other.key})"
        if self.baseline_value and self.value:
            self.ratio = (
                self.baseline_value / self.value
                if self.ratio_is_cost
                else self.value / self.baseline_value
            )
        if self.target is not None and self.ratio is not None:
            self.met = (
                self.ratio <= self.target if self.ratio_is_cost else self.ratio >= self.target
            )
        if self.absolute is not None and self.value is not None:
            self.met = (
                self.value < self.absolute if self.lower_is_better else self.value >= self.absolute
            )

    def target_text(self) -> str:
        if self.absolute is not None:
            sign = "<" if self.lower_is_better else ">="
            return f"{sign} {self.absolute:,.0f} {self.unit}"
        if self.target is None:
            return ""
        if self.ratio_is_cost:
            return f"cost <= {self.target:g}x"
        return f">= {self.target:g}x"

    def ratio_text(self) -> str:
        if self.ratio is None:
            return ""
        if self.ratio_is_cost:
            return f"{self.ratio:.2f}x cost"
        return f"{self.ratio:.2f}x"

    def to_json(self) -> dict:
        return {
            "what": self.what,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_value": self.baseline_value,
            "ratio": self.ratio,
            "ratio_is_cost": self.ratio_is_cost,
            "target": self.target_text() or None,
            "met": self.met,
            "load": self.load.to_json() if self.load else None,
        }


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "compared with", "ratio", "target", "met")]
    for f in figures:
        value = f"{f.value:,.1f} {f.unit}" if f.value is not None else "-"
        met = "" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.what, value, f.baseline_label, f.ratio_text(), f.target_text(), met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)
