from django import template

from backoffice.todays_work import todays_work as work_of_the_day

register = template.Library()


@register.inclusion_tag("admin/_todays_work.html", takes_context=True)
def todays_work(context):
    """On the back office's home page, a bookseller's work of the day (backoffice/todays_work.py)."""
    return {"work": work_of_the_day(user=context["request"].user)}
