"""Accounting for rows: what came in, what went out, and why every missing row is missing.

Every loader and every preprocessing step returns a `Report`. The invariant, checked by `Report.check()`:

    rows_in == rows_out + sum(dropped.values())

A `PipelineReport` chains step reports (the rows out of one step are the rows into the next), so the same
equation holds for a whole pipeline, and it also lists the users whose whole history was filtered away.
"""

from dataclasses import dataclass, field


class DataFormatError(ValueError):
    """A malformed input: the message names the file, the line, the column and what was expected."""


@dataclass
class Report:
    """What one step did to a table of rows."""

    step: str
    rows_in: int
    rows_out: int
    dropped: dict = field(default_factory=dict)  # reason -> number of rows
    notes: list = field(default_factory=list)  # things changed but not dropped ("lower-cased 321 event names")
    chosen: dict = field(default_factory=dict)  # settings the step chose from the data ({"k": 3, "why": ...} for a k-core)

    def drop(self, reason, n=1):
        """Count `n` rows dropped for `reason` (zero counts are not recorded)."""
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(n)

    @property
    def n_dropped(self):
        return sum(self.dropped.values())

    def check(self):
        """Raise if rows were lost without a reason (or invented)."""
        if self.rows_in != self.rows_out + self.n_dropped:
            raise AssertionError(f"{self.step}: rows_in {self.rows_in} != rows_out {self.rows_out} "
                                 f"+ dropped {self.n_dropped} ({self.dropped})")
        return self

    def lines(self):
        out = [f"{self.step}: {self.rows_in:,} in -> {self.rows_out:,} out"]
        out += [f"    dropped {n:>8,}  {reason}" for reason, n in sorted(self.dropped.items())]
        out += [f"    note: {note}" for note in self.notes]
        return out

    def __str__(self):
        return "\n".join(self.lines())


@dataclass
class PipelineReport:
    """The reports of steps run one after the other, and the accounting of the whole."""

    steps: list = field(default_factory=list)
    users_removed: list = field(default_factory=list)  # raw ids of users with no row left
    users_removed_by: dict = field(default_factory=dict)  # step -> number of users it removed

    def add(self, report, users_before=None, users_after=None):
        """Append a step's report; pass the user sets before and after to track users filtered away."""
        report.check()
        if self.steps and report.rows_in != self.steps[-1].rows_out:
            raise AssertionError(f"step {report.step!r} got {report.rows_in} rows but the previous step "
                                 f"{self.steps[-1].step!r} gave {self.steps[-1].rows_out}")
        self.steps.append(report)
        if users_before is not None and users_after is not None and len(users_after) < len(users_before):
            lost = sorted(set(users_before) - set(users_after), key=str)
            if lost:
                self.users_removed += lost
                self.users_removed_by[report.step] = len(lost)
        return report

    @property
    def rows_in(self):
        return self.steps[0].rows_in if self.steps else 0

    @property
    def rows_out(self):
        return self.steps[-1].rows_out if self.steps else 0

    @property
    def dropped(self):
        """All drop reasons of all steps, prefixed with the step name."""
        return {f"{r.step}: {reason}": n for r in self.steps for reason, n in r.dropped.items()}

    def check(self):
        total = sum(self.dropped.values())
        if self.rows_in != self.rows_out + total:
            raise AssertionError(f"pipeline: rows_in {self.rows_in} != rows_out {self.rows_out} + dropped {total}")
        return self

    def __str__(self):
        out = ["pipeline report"]
        for report in self.steps:
            out += ["  " + line for line in report.lines()]
        total = sum(self.dropped.values())
        out.append(f"  total: {self.rows_in:,} in = {self.rows_out:,} out + {total:,} dropped")
        for step, n in self.users_removed_by.items():
            out.append(f"  users whose whole history was removed by {step}: {n:,}")
        return "\n".join(out)
