"""`{% per_language %}…{% end_per_language %}`: a part of a page that is the same on every
page in a language (the site's menu, its footer, the links to its stylesheet), rendered
once per language by each process and then copied.

Every page of the site extends base.html, and its fixed parts cost ~0.4 ms of CPU a page
(issue 22): nine `{% url %}`, three `{% static %}`, a dozen translated phrases, each
worked out again for every request although none depends on it. Only the language (and
the script prefix the addresses start with) can change them.

So that a block can never show one visitor's data to another, what it may hold is
checked when the template is compiled: text, `{% translate %}` and `{% blocktranslate %}`
of fixed phrases, `{% url %}` and `{% static %}` of fixed names, comments. A variable, a
filter or any other tag inside is a TemplateSyntaxError naming it: move it out of the
block.
"""

from django import template
from django.template.base import FilterExpression, TextNode, TokenType, Variable
from django.template.defaulttags import CommentNode, URLNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()


class PerLanguageNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.rendered: dict[tuple[str, str], str] = {}

    def render(self, context):
        key = (get_language(), get_script_prefix())
        if key not in self.rendered:
            self.rendered[key] = self.nodelist.render(context)
        return mark_safe(self.rendered[key])


@register.tag("per_language")
def per_language(parser, token):
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    for node in nodelist:
        if not _is_fixed_node(node):
            raise template.TemplateSyntaxError(
                "{% per_language %} may hold only fixed text, translations, URLs and static files, "
                f"not {{% {node.token.contents} %}}: move it out of the block."
            )
    return PerLanguageNode(nodelist)


def _is_fixed_node(node) -> bool:
    """Whether `node` is the same on every page of one language."""
    if isinstance(node, TextNode | CommentNode):
        return True
    if isinstance(node, TranslateNode):
        return _is_fixed(node.filter_expression) and _fixed_context(node) and node.asvar is None
    if isinstance(node, BlockTranslateNode):
        words = node.singular + (node.plural or [])
        return (
            not node.extra_context
            and node.counter is None
            and node.asvar is None
            and _fixed_context(node)
            and all(token.token_type is TokenType.TEXT for token in words)
        )
    # {% url %} reverses with the current page's namespace as `current_app`: not in the
    # key, which only matters for an application deployed twice (two admin sites).
    if isinstance(node, URLNode):
        return (
            _is_fixed(node.view_name)
            and all(map(_is_fixed, node.args))
            and all(map(_is_fixed, node.kwargs.values()))
            and node.asvar is None
        )
    if isinstance(node, StaticNode):
        return node.varname is None and _is_fixed(node.path)
    return False


def _fixed_context(node) -> bool:
    """No message context ("context 'month'"), or a literal one."""
    return node.message_context is None or _is_fixed(node.message_context)


def _is_fixed(expression: FilterExpression) -> bool:
    """A literal ("'home'", 3) without filters."""
    value = expression.var
    return not expression.filters and (not isinstance(value, Variable) or value.literal is not None)
