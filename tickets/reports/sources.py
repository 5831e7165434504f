"""Figures other apps give the reports. tickets may not import surveys, so surveys registers its
source here from SurveysConfig.ready(); without it the CSAT and NPS cards say "no data".

A survey source is `source(filters, dimension)` -> {group key: SurveyFigures}, the key None
holding the totals when `dimension` is None (see tickets.reports.filters.DIMENSIONS).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tickets.reports.filters import ReportFilters


@dataclass(frozen=True)
class SurveyFigures:
    sent: int = 0
    responses: int = 0
    rated: int = 0
    rating_sum: int = 0
    good: int = 0  # ratings of 4 or 5
    nps_answers: int = 0
    promoters: int = 0  # 9-10
    detractors: int = 0  # 0-6

    @property
    def passives(self) -> int:
        return self.nps_answers - self.promoters - self.detractors

    @property
    def response_rate(self) -> float | None:
        return 100 * self.responses / self.sent if self.sent else None

    @property
    def average(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def csat_pct(self) -> float | None:
        return 100 * self.good / self.rated if self.rated else None

    @property
    def nps(self) -> float | None:
        if not self.nps_answers:
            return None
        return 100 * (self.promoters - self.detractors) / self.nps_answers


SurveySource = Callable[[ReportFilters, str | None], dict[Any, SurveyFigures]]

_survey_sources: list[SurveySource] = []
_links: dict[str, str] = {}


def register_survey_source(source: SurveySource, *, results_url: str = "") -> None:
    """Let the reports read survey figures from `source` (registering it again is harmless)."""
    if source not in _survey_sources:
        _survey_sources.append(source)
    if results_url:
        _links["survey_results"] = results_url


def survey_figures(filters: ReportFilters, dimension: str | None = None) -> dict[Any, SurveyFigures]:
    """Return the registered source's figures ({} when no survey app is installed)."""
    if not _survey_sources:
        return {}
    return _survey_sources[-1](filters, dimension)


def survey_results_url() -> str:
    return _links.get("survey_results", "")
