"""Words across languages: a scene's Spanish (or English) search terms against ImageNet labels and OCR text.

The scene planner writes search terms in the script's language ("gato",
"taza de café"); the tagger (EfficientNet-Lite0) answers ImageNet's English
labels ("tabby cat", "espresso", "missile"), and a poster's OCR text is in
whatever language it was printed in. To compare them, every word goes through
``normalise`` — lowercase, accents dropped, a plural and a final gender vowel
cut (``gatas`` → ``gat``, ``cats`` → ``cat``, ``cafés`` → ``caf``) — and a small
bilingual table of ``CONCEPTS`` maps the words of both languages, and the
ImageNet labels that show the thing, to one concept (``@cat``). No stemming
library is installed in our environment (``pip list``: no nltk, snowballstemmer
or simplemma), so the normaliser is these few documented rules, applied the same
way to both sides: it only has to make equal what should match, not to be a
linguist's stem.

ImageNet's 120 dog breeds, its birds, fish, insects and monkeys are named by
breed or species ("Dobermann", "goldfinch"), not by the common word, so a
concept may also name label *index* ranges (``labels.json`` order); the caller
gives the label list when it has it.

Example::

    keys("Un gato duerme", "es")          # {"gat", "duerm", "@cat"}
    label_keys("tabby cat")               # {"tabby", "cat", "@cat"}
    label_keys("Dobermann", index=179)    # {"dobermann", "@dog"}
    normalise("Cafés")                    # "caf"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]+")
CONCEPT_PREFIX = "@"

# concept → (its words in Spanish and English, ImageNet label words; index ranges of labels.json)
# A word may belong to more than one concept ("taza": cup; "café": coffee and café/restaurant).
_TABLE: dict[str, tuple[str, tuple[range, ...]]] = {
    "cat": ("gato gata gatito gatita minino felino cat kitten kitty feline tabby mau siamese persian",
            (range(281, 286),)),
    "big_cat": ("león leona tigre leopardo jaguar guepardo puma lince lion tiger leopard jaguar cheetah cougar "
                "lynx", (range(286, 294),)),
    "dog": ("perro perra perrito cachorro dog puppy hound terrier retriever spaniel poodle collie "
            "bulldog shepherd husky corgi", (range(151, 276),)),
    "bird": ("pájaro pajaro ave aves pollito gallina gallo loro paloma bird chick hen rooster parrot pigeon "
             "eagle owl duck goose swan", (range(7, 25), range(80, 101), range(127, 147))),
    "fish": ("pez peces pescado fish shark goldfish salmon trout", (range(0, 7), range(389, 398))),
    "insect": ("insecto abeja mariposa hormiga mosca insect bee butterfly ant fly beetle",
               (range(300, 327),)),
    "monkey": ("mono simio chimpancé gorila monkey ape chimpanzee gorilla baboon", (range(365, 385),)),
    "bear": ("oso osa bear panda", (range(294, 298), range(387, 389))),
    "horse": ("caballo yegua potro horse pony stallion sorrel zebra", ()),
    "cow": ("vaca toro buey ganado cow ox bull cattle", ()),
    "coffee": ("café cafe cafetera espresso expreso capuchino cappuccino coffee mug latte espresso machine",
               ()),
    "cup": ("taza tazón vaso copa cup mug teacup", ()),
    "tea": ("té infusión tea teapot", ()),
    "wine": ("vino copa botella wine bottle glass", ()),
    "beer": ("cerveza beer", ()),
    "bread": ("pan panadería baguette bread bakery bagel pretzel", ()),
    "food": ("comida plato cocina receta food dish meal plate recipe pizza burger hamburger cheeseburger "
             "sandwich soup carbonara pasta hotdog", ()),
    "fruit": ("fruta frutas manzana plátano banana naranja limón fresa piña fruit apple orange lemon "
              "strawberry pineapple fig pomegranate", ()),
    "vegetable": ("verdura verduras hortaliza brócoli coliflor pepino calabaza vegetable broccoli "
                  "cauliflower cucumber zucchini pumpkin", ()),
    "car": ("coche carro auto automóvil vehículo car automobile sedan taxi cab jeep limousine minivan "
            "convertible", ()),
    "motorcycle": ("moto motocicleta motoneta scooter motorcycle motorbike moped", ()),
    "bicycle": ("bici bicicleta ciclista bicycle bike cycling tandem tricycle", ()),
    "bus": ("autobús autobus bus coach trolleybus", ()),
    "train": ("tren ferrocarril locomotora train railway locomotive streetcar tram", ()),
    "truck": ("camión camion truck lorry", ()),
    "airplane": ("avión avion aeropuerto vuelo airplane aeroplane plane airliner airport flight warplane "
                 "airship", ()),
    "boat": ("barco barca bote velero yate canoa buque ship boat sailboat yacht canoe liner schooner "
             "catamaran", ()),
    "rocket": ("cohete lanzamiento misil rocket launch missile projectile shuttle", ()),
    "space": ("espacio astronauta nasa planeta cosmos space astronaut planet shuttle", ()),
    "computer": ("ordenador computadora portátil teclado pantalla computer laptop notebook keyboard monitor "
                 "screen desktop mouse", ()),
    "phone": ("teléfono telefono móvil movil celular smartphone phone telephone cellphone", ()),
    "book": ("libro libros biblioteca lectura book books library bookshop bookcase", ()),
    "clock": ("reloj clock watch hourglass stopwatch", ()),
    "money": ("dinero moneda billete cartera money coin cash wallet", ()),
    "music": ("música musica guitarra piano violín tambor canción music guitar piano violin drum cello "
              "accordion", ()),
    "camera": ("cámara camara foto fotografía camera photo lens", ()),
    "house": ("casa hogar vivienda house home cottage", ()),
    "building": ("ciudad edificio rascacielos calle city building skyscraper street tower", ()),
    "church": ("iglesia catedral templo church cathedral mosque temple monastery", ()),
    "bridge": ("puente bridge viaduct", ()),
    "beach": ("playa arena costa orilla beach seashore coast sand shore", ()),
    "sea": ("mar océano ola olas sea ocean wave", ()),
    "mountain": ("montaña montana sierra volcán volcan valle mountain volcano alp valley cliff", ()),
    "lake": ("lago río rio lake river lakeshore", ()),
    "tree": ("árbol arbol bosque selva tree forest jungle", ()),
    "flower": ("flor flores ramo jardín flower daisy bouquet garden", ()),
    "snow": ("nieve invierno esquí snow winter ski snowmobile", ()),
    "sport": ("deporte pelota balón fútbol baloncesto tenis golf sport ball football soccer basketball "
              "tennis volleyball", ()),
    "office": ("oficina escritorio trabajo reunión office desk work meeting", ()),
    "kitchen": ("cocina horno nevera kitchen oven stove refrigerator microwave", ()),
}

SPANISH_PLURAL_AFTER = frozenset("dlnrzjy")


def normalise(word: str) -> str:
    """One word as both sides compare it: lowercase, no accents, no plural, no final gender vowel.

    Rules, in order: ``-ies`` → ``-y`` (stories → story); ``-es`` after d l n r z j y in words
    of 5+ letters (ciudades → ciudad, flores → flor); a final ``s`` in words of 4+ letters
    (gatos → gato, cats → cat; not ``ss``); then a final ``a``/``o``/``e`` in words of 4+
    letters (gato/gata → gat, coffee → coffe, café → caf). Example: ``normalise("Ciudades")`` → ``"ciudad"``.
    """
    w = "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))
    if len(w) >= 5 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) >= 5 and w.endswith("es") and w[-3] in SPANISH_PLURAL_AFTER:
        w = w[:-2]
    elif len(w) >= 4 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if len(w) >= 4 and w[-1] in "aoe":
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """The normalised words of a text (letters only). Example: ``words("Tazas de café")`` → ``["taz", "de", "caf"]``."""
    return [normalise(w) for w in _WORD.findall(text)]


def _build() -> tuple[dict[str, frozenset[str]], list[tuple[range, str]]]:
    by_word: dict[str, set[str]] = {}
    ranges: list[tuple[range, str]] = []
    for concept, (text, spans) in _TABLE.items():
        for w in words(text):
            by_word.setdefault(w, set()).add(CONCEPT_PREFIX + concept)
        ranges += [(span, CONCEPT_PREFIX + concept) for span in spans]
    return {w: frozenset(c) for w, c in by_word.items()}, ranges


_BY_WORD, _RANGES = _build()
_SHORT = frozenset({"de", "la", "el", "en", "un", "al", "of", "a", "an", "the", "y", "and", "o", "or"})


def concepts_of(normalised_words: Iterable[str]) -> set[str]:
    """The concepts (``@cat``…) these normalised words name. Example: ``concepts_of(["gat"])`` → ``{"@cat"}``."""
    return {c for w in normalised_words for c in _BY_WORD.get(w, ())}


def keys(text: str) -> set[str]:
    """A text's normalised words (short function words left out) and the concepts they name.

    Example: ``keys("taza de café")`` → ``{"taz", "caf", "@cup", "@coffee"}``.
    """
    found = {w for w in words(text) if w not in _SHORT and len(w) > 1}
    return found | concepts_of(found)


def label_keys(label: str, index: int | None = None) -> set[str]:
    """An ImageNet label's keys: its words, their concepts, and the concept of its index range.

    Example: ``label_keys("espresso")`` → ``{"espress", "@coffee"}``; ``label_keys("goldfinch", 11)``
    → ``{"goldfinch", "@bird"}``.
    """
    found = keys(label)
    if index is not None:
        found |= {concept for span, concept in _RANGES if index in span}
    return found


def concept_names() -> tuple[str, ...]:
    """Every concept of the table (what the bilingual list covers), for docs and tests."""
    return tuple(_TABLE)
