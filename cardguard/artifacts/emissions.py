"""codecarbon's ``emissions.csv``: what a training run emitted, on what hardware, where.

codecarbon appends one row per tracked run; the facts are those of the last row (the most
recent run) and ``runs`` says how many rows there were. The csv gives kilograms of CO2eq; the
Hub's ``co2_eq_emissions`` metadata wants grams, so both are recorded.
"""

from __future__ import annotations

import math

from cardguard.artifacts.files import ReadContext
from cardguard.lines import split_lines
from cardguard.record import Record

FILE_NAME = "emissions.csv"


class EmissionsFacts(Record):
    emissions_kg: float
    emissions_g: float  # what the Hub's co2_eq_emissions.emissions expects
    runs: int
    duration_s: float | None = None
    energy_consumed_kwh: float | None = None
    cpu_model: str | None = None
    gpu_model: str | None = None
    gpu_count: int | None = None
    country_name: str | None = None
    country_iso_code: str | None = None
    region: str | None = None
    cloud_provider: str | None = None
    cloud_region: str | None = None
    on_cloud: bool | None = None
    codecarbon_version: str | None = None


def read_emissions(ctx: ReadContext) -> EmissionsFacts | None:
    text = ctx.read_text(FILE_NAME)
    if text is None:
        return None
    import csv  # only when there is a csv to read

    try:
        rows = list(csv.DictReader(split_lines(text)))
    except csv.Error as err:
        ctx.report("CG312", FILE_NAME, f"{FILE_NAME} is not valid CSV: {err}")
        return None
    if not rows:
        ctx.report("CG312", FILE_NAME, f"{FILE_NAME} has no data rows")
        return None
    last = rows[-1]
    kg = _float(last.get("emissions"))
    if kg is None:
        ctx.report("CG312", FILE_NAME, f"{FILE_NAME}: the last row has no finite numeric 'emissions' column")
        return None
    return EmissionsFacts(
        emissions_kg=kg,
        emissions_g=kg * 1000.0,
        runs=len(rows),
        duration_s=_float(last.get("duration")),
        energy_consumed_kwh=_float(last.get("energy_consumed")),
        cpu_model=_text(last.get("cpu_model")),
        gpu_model=_text(last.get("gpu_model")),
        gpu_count=_count(last.get("gpu_count")),
        country_name=_text(last.get("country_name")),
        country_iso_code=_text(last.get("country_iso_code")),
        region=_text(last.get("region")),
        cloud_provider=_text(last.get("cloud_provider")),
        cloud_region=_text(last.get("cloud_region")),
        on_cloud={"Y": True, "N": False}.get((last.get("on_cloud") or "").strip().upper()),
        codecarbon_version=_text(last.get("codecarbon_version")),
    )


# The longest text read as a number: codecarbon writes short decimals; longer text is not one.
MAX_NUMBER_CHARS = 100


def _float(value: str | None) -> float | None:
    """A finite number, else None: codecarbon writes plain decimals, so "inf", "nan" and
    "1e400" (which float() reads as inf) are odd values, skipped like any other text."""
    if value is None or not 0 < len(value) <= MAX_NUMBER_CHARS:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _count(value: str | None) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number >= 0 and number.is_integer() else None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None
