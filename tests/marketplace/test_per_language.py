"""{% per_language %}: the fixed parts of every page (base.html's menu, footer, stylesheet
links) are rendered once per language by each process, and cannot hold anything that
differs between two visitors' pages."""

import pytest
from django.template import TemplateSyntaxError, engines
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def compile_(body: str):
    return engines["django"].from_string("{% load i18n static per_language %}" + body)


FIXED = compile_(
    "{% per_language %}<a href=\"{% url 'search' %}\">{% translate 'Search' %}</a>{% translate 'May' context 'month' %}"
    "{% blocktranslate %}Menu{% endblocktranslate %} {% static 'css/site.css' %}{% end_per_language %}"
)


def test_a_fixed_part_is_written_in_each_language_and_then_copied():
    with translation.override("fr"):
        french = FIXED.render({})
        assert FIXED.render({"anything": "else"}) == french
    with translation.override("en"):
        english = FIXED.render({})

    with translation.override("fr"):
        assert french.startswith(f'<a href="{reverse("search")}">Rechercher</a>')
    with translation.override("en"):
        assert english.startswith(f'<a href="{reverse("search")}">Search</a>')
    assert "/static/css/site" in french


def test_the_site_header_and_footer_come_in_the_pages_language(client):
    french = client.get("/privacy/").content.decode()
    english = client.get("/en/privacy/").content.decode()
    french_again = client.get("/privacy/").content.decode()

    assert '<a href="/orders/">Mes commandes</a>' in french
    assert '<a href="/en/orders/">My orders</a>' in english
    assert "My orders" not in french
    assert "Mes commandes" not in english
    assert french_again == french


@pytest.mark.parametrize(
    "inside",
    [
        "{{ user }}",  # a variable
        "{% translate greeting %}",  # a phrase from the context
        "{% translate 'Search'|upper %}",  # a filter
        "{% translate 'May' context month %}",  # a context from the page
        "{% blocktranslate context month %}May{% endblocktranslate %}",
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}",
        "{% blocktranslate with name=user.first_name %}Hello{% endblocktranslate %}",
        "{% blocktranslate count counter=items %}item{% plural %}items{% endblocktranslate %}",
        "{% url 'book' ean %}",  # an address built from the page's data
        "{% url 'search' as address %}",
        "{% static path %}",
        "{% if user.is_authenticated %}x{% endif %}",
        "{% csrf_token %}",
        "{% include 'shops/_ready_by.html' %}",
    ],
)
def test_anything_that_may_differ_between_two_pages_is_refused_when_the_template_is_compiled(inside):
    with pytest.raises(TemplateSyntaxError, match="per_language"):
        compile_(f"{{% per_language %}}<p>{inside}</p>{{% end_per_language %}}")


def test_what_comes_after_the_block_is_rendered_for_each_page():
    template = compile_("{% per_language %}<b>{% translate 'Search' %}</b>{% end_per_language %}{{ name }}")
    with translation.override("en"):
        assert template.render({"name": "Ana"}) == "<b>Search</b>Ana"
        assert template.render({"name": "Léo"}) == "<b>Search</b>Léo"
