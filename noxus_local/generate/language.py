"""A rough language check of generated text by stopwords, independent of the model (es or en).

The quality bench and the tests use it to see that a Spanish idea gave a
Spanish script: the share of Spanish stopwords among the Spanish and English
stopwords in the text. Short function words dominate any prose, so 40 words
are enough to tell the two apart.

Example::

    spanish_share("El mar es azul y la playa está llena de gente")    # 1.0
    guess_language("The sea is blue and the beach is full")           # "en"
"""

from __future__ import annotations

import re

ES_STOPWORDS = frozenset(
    "de la que el en y a los se del las un por con no una su para es al lo como más o pero sus le ya este sí "
    "porque esta entre cuando muy sin sobre también me hasta hay donde desde todo nos durante uno ni contra ese "
    "eso ante unos otro tu te ti cada puede tiene son está están ser hacer".split())
EN_STOPWORDS = frozenset(
    "the of and to in is you that it he was for on are as with his they at be this have from or one had by but "
    "not what all were we when your can there an each which she do how their if will about out many then them "
    "these so some her would make like into has more".split())


def spanish_share(text: str) -> float:
    words = re.findall(r"[a-záéíóúñü]+", text.lower())
    es, en = sum(w in ES_STOPWORDS for w in words), sum(w in EN_STOPWORDS for w in words)
    return es / max(1, es + en)


def guess_language(text: str) -> str:
    return "es" if spanish_share(text) >= 0.5 else "en"
