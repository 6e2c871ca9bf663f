"""The bottom floor: canonical URLs and the score vocabulary (specs of scores, components,
bands and their wording). Pure data; every other layer reads it instead of restating it."""

from adapter.vocabulary import scores as _scores
from adapter.vocabulary.scores import *  # noqa: F403  (the score vocabulary, re-exported whole)
from adapter.vocabulary.specs import BandSpec, ComponentSpec, MethodSpec, ScoreSpec

__all__ = [*_scores.__all__, "BandSpec", "ComponentSpec", "MethodSpec", "ScoreSpec"]
