"""Fields of JSON bodies that take only what the API's description says.

DRF's BooleanField takes 1, "yes" or "true" for true, and its CharField turns a number
into text and a text of spaces into a blank one: a body the description calls invalid
would then be accepted, or one it calls valid refused. JSON has booleans and strings;
these fields take nothing else, and the description says which texts are blank.
"""

from django.core.validators import RegexValidator
from rest_framework import serializers

# What str.strip() removes, which DRF's CharField does before refusing a blank text. As
# a character class, not \s: the description's regex dialect (ECMA-262) has another \s.
_SPACES = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK_PATTERN = f"[^{_SPACES}]"


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictCharField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.allow_blank:
            # For the description (a `pattern`): the blank text is refused before validators run.
            self.validators.append(RegexValidator(NOT_BLANK_PATTERN, message=self.error_messages["blank"]))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
