"""Pilah's pure core: normalise -> tokenise -> stem -> features; agency and region extraction.

Nothing here reads files or the environment: resources are built at the edge and passed in.
"""

from pilah.nlp.errors import (
    DataError,
    InputError,
    ModelError,
    ModelIncompatibleError,
    ModelIntegrityError,
    PilahError,
)
from pilah.nlp.features import NORMALIZED, STEMMED, CharNgrams, Preprocessor, compose_text
from pilah.nlp.lexicon import AmbiguousRule, Lexicon
from pilah.nlp.linear import LinearHead
from pilah.nlp.normalize import PLACEHOLDERS, NormalizedText, Normalizer, mask_personal_data
from pilah.nlp.stem import Stemmer

__all__ = [
    "AmbiguousRule",
    "CharNgrams",
    "DataError",
    "InputError",
    "Lexicon",
    "LinearHead",
    "ModelError",
    "ModelIncompatibleError",
    "ModelIntegrityError",
    "NORMALIZED",
    "NormalizedText",
    "Normalizer",
    "PLACEHOLDERS",
    "PilahError",
    "STEMMED",
    "Stemmer",
    "Preprocessor",
    "compose_text",
    "mask_personal_data",
]
