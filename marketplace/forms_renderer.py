from django.forms.renderers import TemplatesSetting


class SiteFormRenderer(TemplatesSetting):
    """Form rendering with the project's templates; each field group is wrapped in a
    block (templates/forms/field.html) so that pages lay fields out one per row."""

    field_template_name = "forms/field.html"
