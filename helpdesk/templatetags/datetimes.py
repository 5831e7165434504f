"""{% load datetimes %}: the product's one way to show moments (helpdesk/datetimes.py).

`{{ t|moment }}` (`{{ t|moment:"weekday" }}`), `{{ d|day }}`, `{{ t|time_of_day }}`, `{{ t|ago }}`
(or `{{ t|ago:now }}`) and `{{ d|elapsed }}`.
`|date:"DATETIME_FORMAT"` gives the same text as `|moment`.
"""

from django import template

from helpdesk import datetimes

register = template.Library()

@register.filter(expects_localtime=True)
def moment(value: object, option: str = "") -> str:
    """A date and time; `|moment:"weekday"` leads with the day's short name."""
    return datetimes.moment(value, weekday=option == "weekday")



register.filter("day", datetimes.day, expects_localtime=True)
register.filter("time_of_day", datetimes.time_of_day, expects_localtime=True)
register.filter("ago", datetimes.ago)
register.filter("elapsed", datetimes.elapsed)
