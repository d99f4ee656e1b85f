"""The year a page windowed by year shows (the applicant's list, the money overview): pages show
one year at a time, so their cost follows that year and not the years of history behind it."""


def chosen_year(asked: str | None, years: list[int], this_year: int) -> int:
    """The year asked for when it is a plausible year; else this year when it has data or
    nothing has; else the latest year before this one with data; else the first year with data."""
    try:
        asked_year = int(asked)
    except (TypeError, ValueError):
        asked_year = None
    if asked_year is not None and 2000 <= asked_year <= 2100:
        return asked_year
    if this_year in years or not years:
        return this_year
    earlier = [y for y in years if y <= this_year]
    return max(earlier) if earlier else min(years)
