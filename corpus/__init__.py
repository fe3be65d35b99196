"""The labelled data Pilah ships, its schema, readers, taxonomy and lexicon data."""

from pilah.corpus.resources import load_lexicon, region_name_tokens
from pilah.corpus.taxonomy import Sector, Taxonomy, load_taxonomy

__all__ = ["Sector", "Taxonomy", "load_lexicon", "load_taxonomy", "region_name_tokens"]
