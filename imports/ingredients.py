"""Ingredient sentences ("1 1/2 cups flour", "200g butter, softened") read into quantity, unit and name.

ingredient-parser-nlp would be the field's library, but it downloads an NLTK tagger on first use,
which an offline server cannot do; this is a small reader for the shapes recipe sites write:

    [bullet] AMOUNT [- AMOUNT] [(AMOUNT UNIT) CONTAINER | CONTAINER (AMOUNT UNIT) | UNIT [(...)]
      | COUNT-NOUN | SIZE] [of] NAME [(note)] [, note]

Anything else (no amount, "salt to taste", an unknown glued word such as "1e400", an ambiguous
"1,000") gives None, and the caller keeps the sentence verbatim. Choices:
- a range ("2-3 cloves garlic") takes its lower bound; the note keeps "2-3 cloves";
- a count with a package size ("1 (400 g) can tomatoes", "2 cans (398 ml) tomatoes") becomes the
  total amount (400 g, 796 ml) with the note "1 (400 g) can" / "2 cans (398 ml)";
- a count noun ("3 cloves garlic") or a size ("2 large eggs") makes pieces, the word going to the note;
- US customary units are converted with pint (oz, lb to g; fl oz, pint, quart, gallon to ml), as are
  mg, cl and dl; a cup stays a cup;
- "1,5" is one and a half, "1.5" too; "1,000" (a thousand or one?) is refused;
- a quantity is rounded to 3 decimals and must be above 0 and below 1,000,000.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache

from imports.records import LineDraft
from imports.text import visible_line
from kitchen.pricing.units import registry

MAX_LINE_LENGTH = 500
MAX_NAME_LENGTH = 100  # kitchen.models.Ingredient.name
MAX_NOTE_LENGTH = 200  # kitchen.models.RecipeIngredient.note
MAX_QUANTITY = Decimal(1_000_000)
THOUSANDTH = Decimal("0.001")

# Spelling (lower case) -> (our unit, pint's name of the unit written, when it must be converted).
_UNIT_SPELLINGS: dict[str, tuple[str, str | None]] = {}
for _code, _pint_name, _spellings in [
    ("g", None, "g gr grs gram grams gramme grammes"),
    ("kg", None, "kg kgs kilo kilos kilogram kilograms kilogramme kilogrammes"),
    ("ml", None, "ml mls millilitre millilitres milliliter milliliters"),
    ("l", None, "l ltr litre litres liter liters"),
    ("tsp", None, "tsp tsps teaspoon teaspoons"),
    ("tbsp", None, "tbsp tbsps tbs tbl tbls tablespoon tablespoons"),
    ("cup", None, "cup cups"),
    ("pinch", None, "pinch pinches"),
    ("piece", None, "piece pieces pc pcs"),
    ("g", "milligram", "mg milligram milligrams"),
    ("g", "ounce", "oz ounce ounces"),
    ("g", "pound", "lb lbs pound pounds"),
    ("ml", "centiliter", "cl centilitre centilitres centiliter centiliters"),
    ("ml", "deciliter", "dl decilitre decilitres deciliter deciliters"),
    ("ml", "fluid_ounce", "fl oz|fl. oz|floz|fluid ounce|fluid ounces"),
    ("ml", "pint", "pint pints pt pts"),
    ("ml", "quart", "quart quarts qt qts"),
    ("ml", "gallon", "gallon gallons gal"),
]:
    for _spelling in _spellings.split("|" if "|" in _spellings else " "):
        _UNIT_SPELLINGS[_spelling] = (_code, _pint_name)
# Single letters only in the case cookbooks use them: "1 T sugar" (tablespoon), "1 t salt".
_CASED_SPELLINGS = {"T": ("tbsp", None), "Tb": ("tbsp", None), "t": ("tsp", None)}
_PINT_TARGETS = {"g": "gram", "ml": "milliliter"}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CONTAINERS = _words("can cans tin tins jar jars pack packs package packages packet packets sachet sachets")
_CONTAINERS |= _words("bag bags box boxes bottle bottles carton cartons tub tubs")
_COUNT_NOUNS = _CONTAINERS | _words("clove cloves slice slices sprig sprigs stalk stalks stick sticks head heads")
_COUNT_NOUNS |= _words("bunch bunches leaf leaves handful handfuls fillet fillets")
_SIZES = _words("small medium large big jumbo whole extra-large")
_DESCRIPTIONS = _SIZES | _words("skinless boneless fresh dried frozen ripe raw cooked unsalted salted organic lean")
_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve"
_WORD_NUMBERS = {word: number for number, word in enumerate(_NUMBER_WORDS.split(), start=1)}

_BULLET = re.compile(r"[-*•·▪◦‣]\s+")
_MIXED = re.compile(r"(\d{1,7})\s+(\d{1,4})/(\d{1,4})(?![\d/])")
_FRACTION = re.compile(r"(\d{1,4})/(\d{1,4})(?![\d/])")
_DECIMAL = re.compile(r"(\d{1,7})(?:([.,])(\d{1,6}))?(?![\d])")
_WORD = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)?)(\.?)")
_ARTICLE = re.compile(r"an?\s+", re.IGNORECASE)
_RANGE = re.compile(r"\s*(?:-|\bto\b|\bor\b)\s*", re.IGNORECASE)
_OF = re.compile(r"of\s+", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]*)\)")


def _fraction_characters() -> dict[int, str]:
    """Maps "½" to " 1/2" for every vulgar fraction character, so "1½" reads as "1 1/2"."""
    table = {}
    for code in [0xBC, 0xBD, 0xBE, *range(0x2150, 0x2160), 0x2189]:
        parts = unicodedata.decomposition(chr(code)).split()
        if parts[:1] == ["<fraction>"] and "2044" in parts:
            slash = parts.index("2044")
            numerator = "".join(chr(int(part, 16)) for part in parts[1:slash])
            denominator = "".join(chr(int(part, 16)) for part in parts[slash + 1 :])
            table[code] = f" {numerator}/{denominator}"
    # Fraction slash, and the dashes and minus sign people type in ranges.
    table.update({0x2044: "/", 0x2013: "-", 0x2014: "-", 0x2212: "-"})
    return table


_FRACTION_CHARACTERS = _fraction_characters()


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _read_number(text: str, pos: int) -> tuple[Fraction, int] | None:
    """A number at pos ("1 1/2", "1/2", "1,5", "200", "one") and where it ends."""
    if match := _MIXED.match(text, pos):
        whole, numerator, denominator = (int(group) for group in match.groups())
        return (Fraction(whole) + Fraction(numerator, denominator), match.end()) if denominator else None
    if match := _FRACTION.match(text, pos):
        numerator, denominator = int(match[1]), int(match[2])
        return (Fraction(numerator, denominator), match.end()) if denominator else None
    if match := _DECIMAL.match(text, pos):
        integer, separator, decimals = match.groups()
        if separator == "," and len(decimals) == 3 and int(integer):
            return None  # "1,000": a thousand in English, one in much of Europe
        return Fraction(Decimal(f"{integer}.{decimals or 0}")), match.end()
    if (match := _WORD.match(text, pos)) and match[1].lower() in _WORD_NUMBERS:
        return Fraction(_WORD_NUMBERS[match[1].lower()]), match.end()
    return None


def _read_unit(text: str, pos: int) -> tuple[tuple[str, str | None], int] | None:
    """A unit word at pos (two-word ones such as "fl oz" first) and where it ends."""
    first = _WORD.match(text, pos)
    if first is None:
        return None
    if text.startswith(" ", first.end()) and (second := _WORD.match(text, first.end() + 1)):
        spelled = f"{first[0]} {second[1]}".lower()
        if spelled in _UNIT_SPELLINGS:
            return _UNIT_SPELLINGS[spelled], second.end()
    word = first[1]
    unit = _CASED_SPELLINGS.get(word) or _UNIT_SPELLINGS.get(word.lower())
    return (unit, first.end()) if unit else None


def _read_amount(text: str, pos: int) -> tuple[Fraction, tuple[str, str | None], int] | None:
    """An amount with a real unit ("400 g", "14 oz") at pos, as in a package size."""
    number = _read_number(text, pos)
    if number is None:
        return None
    value, pos = number
    unit = _read_unit(text, _skip_spaces(text, pos))
    if unit is None or unit[0][0] in {"piece", "pinch"}:
        return None
    return value, unit[0], unit[1]


@cache
def _factor(pint_name: str, code: str) -> Decimal:
    quantity = registry().Quantity(Decimal(1), pint_name).to(_PINT_TARGETS[code])
    return Decimal(quantity.magnitude)


def _quantity(value: Fraction, unit: tuple[str, str | None]) -> Decimal | None:
    """value in our unit, rounded to 3 decimals; None unless above 0 and below the bound."""
    code, pint_name = unit
    quantity = Decimal(value.numerator) / Decimal(value.denominator)
    if pint_name is not None:
        quantity *= _factor(pint_name, code)
    if not 0 < quantity < MAX_QUANTITY:
        return None
    quantity = quantity.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
    return quantity if quantity > 0 else None


def _package(text: str, pos: int) -> tuple[Fraction, tuple[str, str | None], int] | None:
    """ "(400 g) can" or "can (398 ml/14 oz)" at pos: the size of one package and where it ends."""
    container = _WORD.match(text, pos)
    if container and container[1].lower() in _CONTAINERS:
        pos = _skip_spaces(text, container.end())
    else:
        container = None
    paren = _PAREN.match(text, pos)
    amount = _read_amount(paren[1].strip(), 0) if paren else None
    if paren is None or amount is None:
        return None
    end = paren.end()
    after = None if container else _WORD.match(text, _skip_spaces(text, end))
    if after and after[1].lower() in _CONTAINERS:
        end = after.end()
    return amount[0], amount[1], end


def _name_and_notes(rest: str) -> tuple[str, list[str]] | None:
    """ "skinless, boneless chicken breast (about 114g), diced"
    -> ("boneless chicken breast", ["skinless", "about 114g", "diced"])."""
    segments, depth, begin = [], 0, 0
    for index, char in enumerate(rest):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in ",;":
            segments.append(rest[begin:index].strip())
            begin = index + 1
    segments.append(rest[begin:].strip())
    notes = []
    # A comma between describing words ("1 large, ripe avocado") comes before the name, not a note.
    while len(segments) > 1 and segments[0] and all(word.lower() in _DESCRIPTIONS for word in segments[0].split()):
        notes.append(segments.pop(0))
    head, tail = segments[0], ", ".join(segment for segment in segments[1:] if segment)
    notes += [group.strip() for group in _PAREN.findall(head)]
    name = _PAREN.sub(" ", head)
    if "(" in name or ")" in name:
        return None
    name = visible_line(name).strip(" -:.")
    return name, [note for note in [*notes, tail] if note]


def parse_ingredient_line(text: str) -> LineDraft | None:
    """The line as quantity, unit and ingredient (plus a note), or None when it cannot be read so."""
    if not isinstance(text, str) or len(text) > MAX_LINE_LENGTH:
        return None
    text = visible_line(text.translate(_FRACTION_CHARACTERS))
    start = bullet.end() if (bullet := _BULLET.match(text)) else 0
    article = _ARTICLE.match(text, start)
    number = None if article else _read_number(text, start)
    head_notes: list[str] = []
    unit: tuple[str, str | None] | None = None

    if number is None:
        # No figure: "a pinch of salt", "Pinch black pepper", "a cup of milk", "a can of tomatoes";
        # "an onion" or "cup of coffee" are not read.
        pos = article.end() if article else start
        found = _read_unit(text, pos)
        word = _WORD.match(text, pos)
        if found and found[0][0] != "piece" and (article or found[0][0] == "pinch"):
            value, (unit, pos) = Fraction(1), found
        elif article and word and word[1].lower() in _COUNT_NOUNS:
            value, unit, pos = Fraction(1), ("piece", None), word.end()
            head_notes.append(word[1])
        else:
            return None
    else:
        value, pos = number
        range_match = _RANGE.match(text, pos)
        upper = _read_number(text, range_match.end()) if range_match else None
        is_range = upper is not None
        if upper is not None:
            value, pos = min(value, upper[0]), upper[1]
        glued = pos < len(text) and not text[pos].isspace() and text[pos] != "("
        if glued and _read_unit(text, pos) is None:
            return None  # "1e400", "2x": a figure run into a word that is no unit
        pos = _skip_spaces(text, pos)
        if package := _package(text, pos):
            size, unit, pos = package
            value *= size
            head_notes.append(text[start:pos].strip())
        else:
            if found := _read_unit(text, pos):
                unit, pos = found
                if paren := _PAREN.match(text, _skip_spaces(text, pos)):
                    head_notes.append(paren[1].strip())
                    pos = paren.end()
            else:
                unit = ("piece", None)
                word = _WORD.match(text, pos)
                if word and (word[1].lower() in _COUNT_NOUNS or word[1].lower() in _SIZES):
                    pos = word.end()
                    head_notes.append(word[1])
            if is_range:
                head_notes = [text[start:pos].strip()]

    pos = _skip_spaces(text, pos)
    if of := _OF.match(text, pos):
        pos = of.end()
    read = _name_and_notes(text[pos:].lstrip(" ,"))
    if read is None:
        return None
    name, notes = read
    quantity = _quantity(value, unit)
    note = ", ".join(visible_line(note) for note in [*head_notes, *notes] if note)
    if (
        quantity is None
        or not any(char.isalpha() for char in name)
        or len(name) > MAX_NAME_LENGTH
        or len(note) > MAX_NOTE_LENGTH
    ):
        return None
    return LineDraft(ingredient=name, quantity=quantity, unit=unit[0], note=note)
