"""Cron schedules as the CronJob controller reads them (github.com/robfig/cron/v3's standard parser):
five fields, `*`, ranges, steps, lists, month and weekday names, and the `@hourly`-style macros.
When both day-of-month and day-of-week are restricted, a day matching either runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (lowest, highest, names) of minute, hour, day of month, month, day of week
FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, MONTHS),
    (0, 6, DAYS),
)


class ScheduleError(ValueError):
    pass


def _value(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ScheduleError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


def _field(text: str, low: int, high: int, names: dict[str, int]) -> tuple[frozenset[int], bool]:
    """The values a field allows, and whether it was a bare `*` (or `?`)."""
    allowed: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = _value(step_text, {}) if step_text else 1
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = _value(first, names), _value(last, names)
        else:
            start = _value(body, names)
            end = high if step_text else start
        if start < low or end > high or start > end or step < 1:
            raise ScheduleError(
                f"end of range ({end}) above maximum ({high}): {part}"
                if end > high
                else f"beginning of range ({start}) below minimum ({low}): {part}"
            )
        allowed.update(range(start, end + 1, step))
    return frozenset(allowed), text in ("*", "?")


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Schedule:
        fields = MACROS.get(text.strip(), text).split()
        if len(fields) != 5:
            raise ScheduleError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
        parsed = [_field(f, low, high, names) for f, (low, high, names) in zip(fields, FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in parsed[4][0])
        return cls(parsed[0][0], parsed[1][0], parsed[2][0], parsed[3][0], weekdays, parsed[2][1], parsed[4][1])

    def matches(self, moment: datetime) -> bool:
        day = moment.day in self.days
        weekday = (moment.isoweekday() % 7) in self.weekdays
        day_ok = day and weekday if self.any_day or self.any_weekday else day or weekday
        return moment.minute in self.minutes and moment.hour in self.hours and moment.month in self.months and day_ok

    def latest(self, after: datetime, until: datetime) -> datetime | None:
        """The last scheduled minute in (after, until], looking back at most `LOOKBACK`."""
        moment = until.replace(second=0, microsecond=0)
        floor = max(after, until - LOOKBACK)
        while moment > floor:
            if self.matches(moment):
                return moment
            moment -= timedelta(minutes=1)
        return None


LOOKBACK = timedelta(days=7)
