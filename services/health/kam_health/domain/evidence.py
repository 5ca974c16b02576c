"""Plain sentences, with the numbers behind them, for each component of a score."""

from __future__ import annotations

from kam_health.domain.tally import (
    CommitmentTally,
    DeliveryTally,
    QualityTally,
    SupportTally,
    Tallies,
)

NO_EVIDENCE = "No evidence yet: nothing recorded"


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def delivery(t: DeliveryTally, window_days: int, breach_limit: int | None) -> list[str]:
    if t.due == 0:
        return [f"{NO_EVIDENCE} about deliveries in the last {window_days} days."]
    if t.late == 0:
        return [f"{_plural(t.due, 'delivery')} in the last {window_days} days, all on time."]
    lines = [
        f"{t.late} of {_plural(t.due, 'delivery')} late in the last {window_days} days, "
        f"{_num(t.days_late_total / t.late)} days late on average."
    ]
    if t.breaches:
        lines.append(
            f"{_plural(t.breaches, 'delivery')} broke the guaranteed {breach_limit}-day delay "
            "of the agreement (counted double)."
        )
    if t.outstanding_late:
        lines.append(
            f"{_plural(t.outstanding_late, 'delivery')} still outstanding past the promised date."
        )
    return lines


def quality(t: QualityTally, window_days: int) -> list[str]:
    total = sum(t.by_severity.values())
    if total == 0:
        return [f"{NO_EVIDENCE} about quality in the last {window_days} days."]
    parts = [
        f"{t.by_severity[s]} {s}" for s in ("critical", "major", "minor") if t.by_severity.get(s)
    ]
    line = f"{_plural(total, 'quality issue')} in the last {window_days} days ({', '.join(parts)})"
    if t.unresolved:
        line += f"; {t.unresolved} still unresolved"
    return [line + "."]


def support(t: SupportTally, window_days: int) -> list[str]:
    if t.tickets == 0:
        return [f"{NO_EVIDENCE} about support in the last {window_days} days."]
    troubles = []
    if t.open_severe:
        troubles.append(f"{t.open_severe} high or critical still open")
    if t.sla_breaches:
        troubles.append(f"{t.sla_breaches} past the SLA")
    line = f"{_plural(t.tickets, 'support ticket')} in the last {window_days} days"
    return [line + (": " + ", ".join(troubles) + "." if troubles else ", all within the SLA.")]


def commitment(t: CommitmentTally, window_days: int) -> list[str]:
    lines = []
    if t.signals:
        named = ", ".join(
            f"{signal.replace('_', ' ')}" + (f" ×{n}" if n > 1 else "")
            for signal, n in sorted(t.signals.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        lines.append(
            f"{_plural(sum(t.signals.values()), 'warning sign')} in the last {window_days} days: "
            f"{named}" + (f" ({t.high_signals} high)." if t.high_signals else ".")
        )
    for person in t.departed:
        role = f" ({person.buying_role.replace('_', ' ')})" if person.buying_role else ""
        lines.append(f"{person.name}{role} left on {person.left_on.isoformat()}.")
    days = int(t.days_since_contact)
    if days > t.cadence_days:
        lines.append(
            f"No contact for {days} days, {days - t.cadence_days} past the "
            f"{t.cadence_days}-day cadence."
        )
    if not lines:
        lines.append(
            f"No evidence yet about commitment: no warning signs in the last {window_days} days; "
            f"last contact {days} days ago (cadence {t.cadence_days} days)."
        )
    return lines


def for_all(tallies: Tallies, window_days: int, breach_limit: int | None) -> dict[str, list[str]]:
    return {
        "delivery": delivery(tallies.delivery, window_days, breach_limit),
        "quality": quality(tallies.quality, window_days),
        "support": support(tallies.support, window_days),
        "commitment": commitment(tallies.commitment, window_days),
    }
