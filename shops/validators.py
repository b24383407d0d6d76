from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siret


def normalize_siret(value: str) -> str:
    """Drop the spaces, dots and dashes people type inside a SIRET number."""
    return siret.compact(value or "")


def validate_siret(value: str) -> None:
    """A SIRET is 14 digits: the company's SIREN (9) and the establishment's NIC (5),
    with a Luhn checksum (La Poste's establishments follow their own rule, which
    python-stdnum knows)."""
    try:
        siret.validate(value)
    except stdnum_errors.InvalidLength as exc:
        raise ValidationError(
            _("A SIRET number has 14 digits; this one has %(count)s."),
            code="siret_length",
            params={"count": len(normalize_siret(value))},
        ) from exc
    except stdnum_errors.InvalidFormat as exc:
        raise ValidationError(_("A SIRET number contains digits only."), code="siret_format") from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise ValidationError(
            _(
                "This SIRET number is not valid: its check digit does not match. "
                "Please copy it again from your Kbis extract or from annuaire-entreprises.data.gouv.fr."
            ),
            code="siret_checksum",
        ) from exc
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(_("This SIRET number is not valid."), code="siret_invalid") from exc
