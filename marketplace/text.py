"""Text compared the way people mean it."""

import unicodedata


def comparison_key(text: str) -> str:
    """The letters and digits of `text`, without accents, case, spaces or punctuation:
    'Quantité', 'QUANTITE ' and 'quantite' agree, and so do 'Jeu de société' and
    'jeu-de-societe'. Stock files' headers, conditions and kinds' names are matched on it."""
    without_accents = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in without_accents.lower() if char.isalnum())
