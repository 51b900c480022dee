"""The press-release worksheet's reading of an announcement: pure rules, no database, no network.

``extract(text, organizations=..., deal_types=...)`` splits the pasted text into
sentences and proposes what an editor would otherwise copy out by hand:
organizations (matched against the known ones and their aliases; others are
proposed as new, never created here), their roles, deal types from the app's
vocabulary, amounts with currency and range, capacity (MW/GW, chip counts),
dates and terms (length, end date, exit notice, exclusivity, stakes). Every
proposal carries the index of the sentence it came from, so the desk can show
the passage beside it. It also separates the vague strategic language the
founding article warns about from concrete commitments, with counts, and walks
the five questions per party, each answer with its supporting passages and a
proposed score on the rubric's 0-4 scale.

Deterministic: the same text and inputs give the same proposals. Standard
library only: the patterns below are the whole method, and the corpus in
``tests/cases/worksheet_corpus.py`` measures how far they get
(``bench/worksheet_accuracy``, results in ``bench/WORKSHEET.md``).
"""

# Long lines and typographic quotes are the patterns themselves: a regex reads better whole.
# ruff: noqa: E501, RUF001

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

# --- Inputs -----------------------------------------------------------------


@dataclass(frozen=True)
class KnownOrganization:
    """An organization the app knows: matched by name, slug-as-words, and aliases."""

    slug: str
    name: str
    aliases: tuple[str, ...] = ()


# Other names the press uses for known organizations, by the organization's slug.
# Callers pass their own mapping (``aliases=``): the desk merges the alias table
# (cases.OrganizationAlias) over these, which cover the demo corpus's organizations.
DEFAULT_ALIASES: Mapping[str, tuple[str, ...]] = {
    "amazon": ("AWS", "Amazon Web Services"),
    "google": ("Google Cloud", "Google DeepMind", "DeepMind", "Alphabet"),
    "microsoft": ("Azure", "Microsoft Azure"),
    "meta": ("Meta Platforms",),
    "mistral-ai": ("Mistral",),
    "inflection-ai": ("Inflection",),
    "nvidia": ("Nvidia",),
    "amd": ("Advanced Micro Devices",),
    "characterai": ("Character AI",),
}

# The vocabulary of deal types (cases.DealType slugs) and the words that suggest each.
DEAL_TYPE_CUES: Mapping[str, str] = {
    "compute_lease": r"\b(?:leas(?:e|es|ed|ing)|rent(?:s|ed|ing)?|entire (?:compute )?capacity|all of the (?:compute )?capacity|full capacity)\b",
    "cloud_commitment": r"\b(?:cloud|Azure|AWS|Google Cloud|Oracle Cloud|compute contract|(?:buy|purchase|spend)\w*\s+(?:\$[\d.,]+\s*\w+\s+)?(?:of\s+)?(?:\w+\s+)?(?:compute|computing|services))\b",
    "equity_investment": r"\b(?:invest(?:s|ed|ing|ment|ments)?|stake|equity|warrants?|shares|stock|convertible note|funding round)\b",
    "licensing_acquihire": r"\b(?:licen[cs](?:e|es|ed|ing)|co-?founders?\b.*\b(?:join|joined|joining|move|moved|hire|hired)|hir(?:e|es|ed|ing)\b.*\b(?:founders?|team|staff|employees))",
    "distribution": r"\b(?:integrat(?:e|es|ed|ing|ion)\b.*\binto|available (?:to|through|in|on) (?:\w+\s+){0,3}customers|offer(?:s|ed|ing)? (?:\w+\s+){0,4}to (?:\w+\s+){0,3}customers|distribut(?:e|es|ed|ion)|sell(?:s|ing)? (?:\w+\s+){0,4}through)",
    "chip_supply": r"\b(?:deploy(?:s|ed|ing)?\b.*\b(?:GPUs?|TPUs?|chips|systems|accelerators)|suppl(?:y|ies|ied) (?:\w+\s+){0,3}(?:chips|GPUs)|Trainium|Inferentia|TPUs?|Instinct|MI\d{3}|Vera Rubin|Grace Blackwell)\b",
    "joint_venture": r"\b(?:joint venture|new company|jointly owned|JV)\b",
    "data_center_build": r"\b(?:build(?:s|ing)? (?:\w+\s+){0,3}data cent(?:er|re)s?|develop(?:s|ing)? (?:[\w.,]+\s+){0,3}(?:GW|gigawatts?)|construction|data cent(?:er|re) capacity|new sites?)\b",
}

# --- Outputs ----------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class OrganizationProposal:
    name: str
    slug: str  # the known organization's slug; for a new one, a proposed slug
    is_new: bool
    role: str  # a cases.Party.Role value
    sentences: tuple[int, ...]  # where it is named
    role_sentence: int | None  # the sentence the role was read from (None: default "partner")


@dataclass(frozen=True)
class DealTypeProposal:
    slug: str
    cue: str
    sentence: int


@dataclass(frozen=True)
class AmountProposal:
    text: str
    currency: str  # USD, EUR, GBP, JPY
    low: int | None  # whole currency units; None: open-ended
    high: int | None
    qualifier: str  # "", "up to", "more than", "about", "range"
    per: str  # "", "month", "year"
    sentence: int


@dataclass(frozen=True)
class CapacityProposal:
    text: str
    kind: str  # "power" (value in MW) or "chips" (a count)
    value: Decimal
    qualifier: str
    sentence: int


@dataclass(frozen=True)
class DateProposal:
    text: str
    value: str  # 2026-05-06, 2023-09 or 2026
    precision: str  # day, month, year
    sentence: int


@dataclass(frozen=True)
class TermProposal:
    text: str
    kind: str  # length, through, exit_notice, exclusive, non_exclusive, first_refusal, stake
    value: str  # "5 years", "2029-05", "90 days", "49%", or "" for exclusivity
    sentence: int


@dataclass(frozen=True)
class LanguageFlag:
    text: str
    label: str  # the vague phrase's family, or the concrete commitment's category
    concrete: bool
    sentence: int


@dataclass(frozen=True)
class Answer:
    """One of the five questions (or the rubric's data-rights criterion) answered for one party."""

    question: str
    criterion: str  # the rubric criterion key it maps onto
    organization: str  # the proposal's slug
    answer: str
    score: int | None  # proposed, on 0-4; None: nothing in the text speaks to it
    passages: tuple[int, ...]


@dataclass
class Worksheet:
    text: str
    sentences: list[Sentence]
    organizations: list[OrganizationProposal] = field(default_factory=list)
    deal_types: list[DealTypeProposal] = field(default_factory=list)
    amounts: list[AmountProposal] = field(default_factory=list)
    capacities: list[CapacityProposal] = field(default_factory=list)
    dates: list[DateProposal] = field(default_factory=list)
    terms: list[TermProposal] = field(default_factory=list)
    vague: list[LanguageFlag] = field(default_factory=list)
    concrete: list[LanguageFlag] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    @property
    def vague_count(self) -> int:
        return len(self.vague)

    @property
    def concrete_count(self) -> int:
        return len(self.concrete)

    def sentence(self, index: int) -> str:
        return self.sentences[index].text

    def value_range_usd(self) -> tuple[int | None, int | None]:
        """The widest one-off US-dollar range stated (per-month and per-year sums are left to the note)."""
        usd = [a for a in self.amounts if a.currency == "USD" and not a.per]
        if not usd:
            return None, None
        best = max(usd, key=lambda a: (a.high or a.low or 0, a.low or 0))
        return best.low, best.high

    def capacity_mw(self) -> Decimal | None:
        power = [c.value for c in self.capacities if c.kind == "power"]
        return max(power) if power else None

    def capacity_chips(self) -> int | None:
        chips = [int(c.value) for c in self.capacities if c.kind == "chips"]
        return max(chips) if chips else None


# --- Text -------------------------------------------------------------------

MAX_TEXT = 20_000

_ABBREVIATIONS = {
    "u.s", "u.k", "e.u", "inc", "corp", "ltd", "co", "mr", "ms", "mrs", "dr", "st", "jr", "sr", "no", "vs",
    "e.g", "i.e", "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip


def normalize(text: str) -> str:
    """NFC, plain line ends, no control characters, runs of spaces collapsed: offsets refer to this text."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_sentences(text: str) -> list[Sentence]:
    """Sentences (and headline lines) with their offsets into ``text``."""
    sentences: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        body = line.group()
        cursor = 0
        # The next sentence may start lower-case: brand names do (xAI, iPhone).
        for stop in re.finditer(r"[.!?][\"”’)]?\s+(?=[\"“(A-Za-z0-9$€£])", body):
            word = re.search(r"([\w.]+)[.!?][\"”’)]?\s+$", body[cursor : stop.end()])
            if word and word.group(1).lower() in _ABBREVIATIONS and body[stop.start()] == ".":
                continue
            piece = body[cursor : stop.end()].strip()
            if piece:
                offset = start + cursor + (len(body[cursor : stop.end()]) - len(body[cursor : stop.end()].lstrip()))
                sentences.append(Sentence(len(sentences), offset, offset + len(piece), piece))
            cursor = stop.end()
        piece = body[cursor:].strip()
        if piece:
            offset = start + cursor + (len(body[cursor:]) - len(body[cursor:].lstrip()))
            sentences.append(Sentence(len(sentences), offset, offset + len(piece), piece))
    return sentences


# --- Numbers ----------------------------------------------------------------

_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
}  # fmt: skip
_WORDNUM = r"(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred)"
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_SCALES = {
    "trillion": 10**12, "tn": 10**12, "t": 10**12, "billion": 10**9, "bn": 10**9, "b": 10**9,
    "million": 10**6, "mn": 10**6, "m": 10**6, "thousand": 10**3, "k": 10**3,
}  # fmt: skip
_SCALE = r"(?:trillion|billion|million|thousand|bn|tn|mn|[BMKTbmk])(?![\w])"
_CURRENCY_SYMBOLS = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP"}
_CURRENCY_WORDS = {"dollars": "USD", "euros": "EUR", "pounds": "GBP"}
_QUALIFIERS = [
    (r"(?:up to|as much as|no more than|a maximum of)", "up to"),
    (r"(?:more than|over|at least|upwards of|in excess of|exceeding|north of|well over)", "more than"),
    (r"(?:about|around|roughly|approximately|nearly|almost|some|an estimated|close to)", "about"),
]


def number_value(text: str) -> Decimal:
    text = text.strip().lower()
    if text in _WORD_NUMBERS:
        return Decimal(_WORD_NUMBERS[text])
    return Decimal(text.replace(",", ""))


def _qualifier_before(sentence: str, start: int) -> str:
    before = sentence[max(0, start - 30) : start].lower()
    for pattern, label in _QUALIFIERS:
        if re.search(rf"\b{pattern}\s*$", before):
            return label
    return ""


_AMOUNT_RE = re.compile(
    rf"(?P<cur>US\$|\$|€|£|\b(?:USD|EUR|GBP)\s?)(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE}))?"
    rf"|(?P<num2>{_NUM})(?:\s?(?P<scale2>{_SCALE}))?\s(?P<word>dollars|euros|pounds)\b"
)
_RANGE_TAIL_RE = re.compile(
    rf"\s*(?P<conn>-|–|—|to|and)\s*(?:US\$|\$|€|£|(?:USD|EUR|GBP)\s?)?(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE}))?"
)
_PER_RE = re.compile(r"\s*(?:a|per|each|every)\s+(month|year|annum)\b", re.IGNORECASE)


def _scaled(num: str, scale: str | None) -> int:
    value = number_value(num) * (_SCALES[scale.lower()] if scale else 1)
    return int(value)


def find_amounts(sentence: Sentence) -> list[AmountProposal]:
    text = sentence.text
    found: list[AmountProposal] = []
    consumed = 0
    for match in _AMOUNT_RE.finditer(text):
        if match.start() < consumed:
            continue
        if match.group("cur") is not None:
            currency = _CURRENCY_SYMBOLS[match.group("cur").strip().lower()]
            num, scale = match.group("num"), match.group("scale")
        else:
            currency = _CURRENCY_WORDS[match.group("word").lower()]
            num, scale = match.group("num2"), match.group("scale2")
        end = match.end()
        low: int | None
        high: int | None
        tail = _RANGE_TAIL_RE.match(text, end)
        between = re.search(r"\b(?:between|from)\s*$", text[: match.start()])
        if (
            tail
            and (tail.group("conn") != "and" or between)
            and not (tail.group("conn") == "to" and re.match(r"\s*to\s+\d+(?:\.\d+)?\s*%", text[end:]))
        ):
            second_scale = tail.group("scale")
            low = _scaled(num, scale or second_scale)
            high = _scaled(tail.group("num"), second_scale or scale)
            qualifier = "range"
            end = tail.end()
        else:
            value = _scaled(num, scale)
            qualifier = _qualifier_before(text, match.start())
            low, high = {"up to": (None, value), "more than": (value, None)}.get(qualifier, (value, value))
        per = _PER_RE.match(text, end)
        if low is not None and high is not None and low > high:
            low, high = high, low
        start = between.start() if qualifier == "range" and between else match.start()
        found.append(
            AmountProposal(
                text=text[start:end].strip(),
                currency=currency,
                low=low,
                high=high,
                qualifier=qualifier,
                per={"annum": "year"}.get(per.group(1).lower(), per.group(1).lower()) if per else "",
                sentence=sentence.index,
            )
        )
        consumed = end
    return found


_POWER_RE = re.compile(
    rf"(?<![\w.])(?P<num>{_NUM}|{_WORDNUM})[\s-]?(?P<unit>MW|GW|megawatts?|gigawatts?)(?![\w])", re.IGNORECASE
)
_CHIPS_RE = re.compile(
    rf"(?<![\w.])(?P<num>{_NUM}|{_WORDNUM})(?:\s(?P<scale>million|thousand))?\s+"
    r"(?:(?!(?:MW|GW|of|and)\b)[A-Z][\w.-]*\s+){0,3}"
    r"(?P<unit>GPUs?|TPUs?|chips|accelerators|processors)\b"
)


def find_capacities(sentence: Sentence) -> list[CapacityProposal]:
    text = sentence.text
    found = []
    for match in _POWER_RE.finditer(text):
        num = match.group("num")
        if num.lower() in ("a", "an") and match.group("unit").lower() in ("mw", "gw"):
            continue
        value = number_value(num) * (1000 if match.group("unit").lower().startswith("g") else 1)
        found.append(
            CapacityProposal(
                match.group().strip(), "power", value, _qualifier_before(text, match.start()), sentence.index
            )
        )
    for match in _CHIPS_RE.finditer(text):
        num = match.group("num")
        if num.lower() in ("a", "an") and not match.group("scale"):
            continue
        value = number_value(num) * (_SCALES[match.group("scale")] if match.group("scale") else 1)
        found.append(
            CapacityProposal(
                match.group().strip(), "chips", value, _qualifier_before(text, match.start()), sentence.index
            )
        )
    return found


# --- Dates and terms ----------------------------------------------------------

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_YEAR = r"(?:19|20)\d{2}"
_DATE_RES = [
    (re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})\b"), "day"),
    (re.compile(rf"\b(?P<d>\d{{1,2}})\s+(?P<m>{_MONTH})\s+(?P<y>{_YEAR})\b"), "day"),
    (re.compile(rf"\b(?P<y>{_YEAR})-(?P<mn>\d{{2}})-(?P<d>\d{{2}})\b"), "day"),
    (re.compile(rf"\b(?P<m>{_MONTH})\s+(?:of\s+)?(?P<y>{_YEAR})\b"), "month"),
    (re.compile(rf"(?<![\w$€£.,/-])(?P<y>{_YEAR})(?![\w%,.]\d|[\w%])"), "year"),
]


def find_dates(sentence: Sentence) -> list[DateProposal]:
    text = sentence.text
    taken: list[tuple[int, int]] = []
    found = []
    for pattern, precision in _DATE_RES:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            groups = match.groupdict()
            year = groups["y"]
            month = groups.get("mn") or (_MONTHS[groups["m"].rstrip(".").lower()] if groups.get("m") else None)
            if precision == "day":
                assert month is not None
                value = f"{year}-{int(month):02d}-{int(groups['d']):02d}"
            elif precision == "month":
                assert month is not None
                value = f"{year}-{int(month):02d}"
            else:
                value = year
            taken.append((match.start(), match.end()))
            found.append(DateProposal(match.group(), value, precision, sentence.index))
    return sorted(found, key=lambda d: text.find(d.text))


_NUMWORD = rf"(?:{_NUM}|{_WORDNUM})"
_TERM_RES: list[tuple[re.Pattern, str]] = [
    (
        re.compile(
            rf"\b(?P<n>{_NUMWORD})[- ](?P<unit>year|month)(?:s)?[- ]?(?:long\s+)?"
            r"(?:\w+\s+){0,2}?(?:contract|deal|agreement|lease|term|partnership|commitment|arrangement)\b",
            re.IGNORECASE,
        ),
        "length",
    ),
    (
        re.compile(
            rf"\b(?:over|for|across|within)\s+(?:about\s+|roughly\s+|the next\s+)?(?P<n>{_NUMWORD})\s+(?P<unit>year|month)s?\b",
            re.IGNORECASE,
        ),
        "length",
    ),
    (re.compile(rf"\b(?:through|until|till|runs to|expires in)\s+(?:(?P<m>{_MONTH})\s+)?(?P<y>{_YEAR})\b"), "through"),
    (
        re.compile(rf"\b(?P<n>{_NUMWORD})[- ]days?['’]?\s+(?:of\s+)?(?:written\s+|prior\s+)?notice\b", re.IGNORECASE),
        "exit_notice",
    ),
    (re.compile(r"\b(?:non-?exclusive)\b", re.IGNORECASE), "non_exclusive"),
    (re.compile(r"(?<!non-)(?<!non)\b(?:exclusive|exclusively|exclusivity)\b", re.IGNORECASE), "exclusive"),
    (re.compile(r"\bright of first refusal\b", re.IGNORECASE), "first_refusal"),
    (
        re.compile(
            r"\b(?P<pct>\d+(?:\.\d+)?)\s?(?:%|per ?cent)\s+(?:[\w-]+\s+){0,2}?(?:stake|of the company|ownership|equity|interest)\b",
            re.IGNORECASE,
        ),
        "stake",
    ),
]


def find_terms(sentence: Sentence) -> list[TermProposal]:
    text = sentence.text
    found = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in _TERM_RES:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            groups = match.groupdict()
            if kind == "length":
                n = number_value(groups["n"])
                value = f"{n.normalize():f} {groups['unit'].lower()}s"
            elif kind == "through":
                month = groups.get("m")
                value = f"{groups['y']}-{_MONTHS[month.rstrip('.').lower()]:02d}" if month else groups["y"]
            elif kind == "exit_notice":
                value = f"{number_value(groups['n']).normalize():f} days"
            elif kind == "stake":
                value = f"{Decimal(groups['pct']).normalize():f}%"
            else:
                value = ""
            taken.append((match.start(), match.end()))
            found.append(TermProposal(match.group().strip(), kind, value, sentence.index))
    return sorted(found, key=lambda t: text.find(t.text))


# --- Press-release language -------------------------------------------------

VAGUE_PHRASES: Mapping[str, str] = {
    "strategic partnership": r"\bstrategic (?:partnership|alliance|collaboration|relationship|agreement)s?\b",
    "strategic": r"\bstrategic(?:ally)?\b(?! (?:partnership|alliance|collaboration|relationship|agreement))",
    "multi-year": r"\bmulti-? ?year\b",
    "transformational": r"\btransforma(?:tional|tive)\b",
    "long-term": r"\blong-? ?term\b",
    "deepen or expand the partnership": r"\b(?:deepen|expand|extend|strengthen)(?:s|ed|ing)? (?:\w+\s+){0,2}(?:partnership|collaboration|relationship)\b",
    "landmark or historic": r"\b(?:landmark|historic|unprecedented|milestone)\b",
    "next generation": r"\bnext[- ]generation\b",
    "accelerate": r"\baccelerat(?:e|es|ed|ing)\b",
    "shared vision": r"\bshared (?:vision|mission|commitment|goals?)\b",
    "ecosystem": r"\becosystems?\b",
    "leading or world-class": r"\b(?:industry-leading|world-class|cutting-edge|state-of-the-art|best-in-class)\b",
    "benefit humanity": r"\b(?:benefit(?:s)? (?:all of )?humanity|for everyone|democratiz\w+)\b",
    "unlock": r"\bunlock(?:s|ed|ing)?\b",
}
_VAGUE_RES = [(label, re.compile(pattern, re.IGNORECASE)) for label, pattern in VAGUE_PHRASES.items()]

# Concrete commitments, by category: what the founding article asks to look for.
CONCRETE_CATEGORIES = ("money", "capacity", "exclusivity", "term", "exit rights")
_EXIT_RE = re.compile(
    r"\b(?:exit|terminat(?:e|es|ed|ion)|cancel(?:s|led|lation)?|walk away|opt[- ]out)\b", re.IGNORECASE
)


def find_language(sentence: Sentence, amounts, capacities, terms) -> tuple[list[LanguageFlag], list[LanguageFlag]]:
    text = sentence.text
    vague = []
    for label, pattern in _VAGUE_RES:
        for match in pattern.finditer(text):
            vague.append(LanguageFlag(match.group(), label, False, sentence.index))
    concrete = [LanguageFlag(a.text, "money", True, sentence.index) for a in amounts]
    concrete += [LanguageFlag(c.text, "capacity", True, sentence.index) for c in capacities]
    for term in terms:
        if term.kind in ("exclusive", "non_exclusive", "first_refusal"):
            concrete.append(LanguageFlag(term.text, "exclusivity", True, sentence.index))
        elif term.kind in ("length", "through"):
            concrete.append(LanguageFlag(term.text, "term", True, sentence.index))
        elif term.kind == "exit_notice":
            concrete.append(LanguageFlag(term.text, "exit rights", True, sentence.index))
    if not any(t.kind == "exit_notice" for t in terms):
        for match in _EXIT_RE.finditer(text):
            concrete.append(LanguageFlag(match.group(), "exit rights", True, sentence.index))
    return vague, concrete


# --- Organizations and roles --------------------------------------------------

_SUFFIXES = r"(?:Inc|Corp|Corporation|Ltd|LLC|PLC|GmbH|SA|AG|Labs|Technologies|Holdings|Group|Capital|Partners|Ventures|Compute|Systems|Networks)"
_PROPER = r"[A-Z][\w.&'-]*[\w]"  # a capitalized word (Character.AI, AT&T)
_DEAL_VERBS = (
    r"(?:will (?:invest|supply|provide|deploy|build|buy|purchase|use|offer|lease|license|acquire|develop|take)"
    r"|(?:has|have) (?:agreed|signed|committed)|agreed|signed|announced|commits|committed|invests|invested|leases|"
    r"leased|licenses|licensed|plans to|takes|took|acquires|acquired|raised|raises|is investing|to invest|to supply|"
    r"to provide|to deploy|to build|to lease|to buy)"
)
_NEW_ORG_RES = [
    re.compile(rf"\b(?P<name>{_PROPER}(?:\s{_PROPER}){{0,3}}),?\s(?:{_SUFFIXES})\b\.?"),
    re.compile(rf"(?P<name>\b{_PROPER}(?:\s{_PROPER}){{0,2}})\s{_DEAL_VERBS}\b"),
]
_NOT_ORGANIZATIONS = {
    "the", "this", "that", "these", "today", "under", "together", "its", "our", "we", "they", "in", "on", "as", "it",
    "after", "before", "both", "each", "first", "last", "he", "she", "his", "her", "their", "company", "companies",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "ceo", "chief", "president",
    "founder", "co-founder", "cofounder", "chairman", "executive", "officer", "reports", "according", "separately",
    "also", "and", "or", "but", "meanwhile", "earlier", "later", "the company", "a", "an", "u.s", "u.s.", "us",
}  # fmt: skip
_PERSON_TITLES = re.compile(
    r"\b(?:CEO|Chief|President|Chairman|Chairwoman|founder|co-founder|cofounder|Mr|Ms|Dr|executive|head|director)\.?\s*$",
    re.IGNORECASE,
)

# (regex of the cue, role of the organization named before it, role of the one named after it)
ROLE_CUES: list[tuple[str, str, str]] = [
    (r"\bleas(?:e|es|ed|ing)\b(?:(?!\bfrom\b).)*\bto\b", "provider", "customer"),
    (r"\b(?:lease|leases|leased|rent|rents|rented)\b.*\bfrom\b", "customer", "provider"),
    (r"\binvest(?:s|ed|ing|ment)?\b.*\bin\b", "investor", "investee"),
    (r"\b(?:stake|shares|equity)\b.*\bin\b", "investor", "investee"),
    (r"\b(?:raises?|raised|secured|receives?|received)\b.*\bfrom\b", "investee", "investor"),
    (r"\bwarrant\b.*\bto\b|\bgrant(?:s|ed)?\b.*\bwarrant", "provider", "customer"),
    (r"\blicen[cs](?:e|es|ed|ing)\b.*(?:'s|’s)\b", "licensee", "licensor"),
    (r"\b(?:grants?|granted|give|gives|gave)\b.*\blicen[cs]e", "licensor", "licensee"),
    (r"\b(?:hires?|hired|hiring)\b", "licensee", "licensor"),
    (r"\bjoin(?:s|ed|ing)?\b", "licensor", "licensee"),
    (r"\bintegrat(?:e|es|ed|ing)\b.*\binto\b", "distributor", "provider"),
    (
        r"\b(?:offer|offers|offered|sell|sells|sold|distribute|distributes)\b.*\b(?:customers|users)\b",
        "distributor",
        "provider",
    ),
    (r"\b(?:to|will) be (?:offered|available) (?:to|through|on)\b", "provider", "distributor"),
    (
        r"\b(?:supply|supplies|supplied|provide|provides|provided|deliver|delivers|develop|develops|build|builds)\b.*\bfor\b",
        "provider",
        "customer",
    ),
    (r"\b(?:supply|supplies|supplied|provide|provides|provided)\b.*\bto\b", "provider", "customer"),
    (r"\b(?:buy|buys|bought|purchase|purchases|spend|commit(?:s|ted)?)\b.*\bfrom\b", "customer", "provider"),
    (r"\b(?:buy|buys|bought|purchase|purchases|commit(?:s|ted)? to)\b.*\b(?:on|of)\b", "customer", "provider"),
    (r"\b(?:deploy|deploys|deploying|use|uses|using|run on|build on|train on|access to)\b", "customer", "provider"),
    (r"\b(?:signed|signs)\b.*\b(?:with|to use)\b", "customer", "provider"),
    (
        r"\b(?:primary|preferred|main|exclusive) (?:cloud|compute|training)\b.*\b(?:provider|partner)\b",
        "provider",
        "customer",
    ),
]
_ROLE_RES = [(re.compile(pattern, re.IGNORECASE), before, after) for pattern, before, after in ROLE_CUES]


@dataclass(frozen=True)
class _Mention:
    slug: str
    name: str
    start: int
    end: int
    sentence: int
    possessive: bool


def _slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "organization"


def _known_patterns(
    organizations: Iterable[KnownOrganization], aliases: Mapping[str, Iterable[str]]
) -> list[tuple[re.Pattern, str, str, str]]:
    patterns = []
    for org in organizations:
        names = {org.name, *org.aliases, *aliases.get(org.slug, ())}
        for name in sorted(names, key=len, reverse=True):  # the longest first: "Google Cloud" before "Google"
            if len(name) < 2:
                continue
            pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])", re.IGNORECASE)
            patterns.append((pattern, org.slug, org.name, name))
    patterns.sort(key=lambda p: -len(p[0].pattern))
    return patterns


def _find_mentions(sentence: Sentence, patterns) -> list[_Mention]:
    text = sentence.text
    taken: list[tuple[int, int]] = []
    mentions = []
    for pattern, slug, name, spelling in patterns:
        for match in pattern.finditer(text):
            if match.group() != spelling and not match.group()[0].isupper() and not match.group()[0].isdigit():
                continue  # "arm", "apple", "meta" in lower case are words, not companies
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            taken.append((match.start(), match.end()))
            possessive = text[match.end() : match.end() + 2] in ("'s", "’s")
            mentions.append(_Mention(slug, name, match.start(), match.end(), sentence.index, possessive))
    return sorted(mentions, key=lambda m: m.start)


def _new_mentions(sentence: Sentence, known: list[_Mention], known_names: set[str]) -> list[_Mention]:
    text = sentence.text
    mentions: list[_Mention] = []
    for pattern in _NEW_ORG_RES:
        for match in pattern.finditer(text):
            name = match.group("name").strip().rstrip(",.")
            start = match.start("name")
            # Drop leading words that cannot start an organization's name ("Today Nimbus" -> "Nimbus").
            words = name.split()
            while words and words[0].lower().rstrip(".,") in _NOT_ORGANIZATIONS:
                start += len(words[0]) + 1
                words = words[1:]
            name = " ".join(words)
            if not name or name.lower() in _NOT_ORGANIZATIONS or name.lower() in known_names:
                continue
            if any(m.start < start + len(name) and start < m.end for m in known):
                continue
            person = re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", name) and re.search(r"\bsaid\b", text[start:])
            if _PERSON_TITLES.search(text[:start]) or person:
                continue
            if re.fullmatch(_MONTH, name) or name.lower().rstrip(".") in _MONTHS:
                continue
            if any(m.start == start for m in mentions):
                continue
            mentions.append(_Mention(_slugify(name), name, start, start + len(name), sentence.index, False))
    return mentions


def _roles(sentence: Sentence, mentions: list[_Mention]) -> dict[str, str]:
    """Roles read off one sentence: the organization named before a cue, and the one named after it."""
    text = sentence.text
    roles: dict[str, str] = {}
    if len({m.slug for m in mentions}) < 2:
        return roles
    for pattern, before_role, after_role in _ROLE_RES:
        cue = pattern.search(text)
        if cue is None:
            continue
        word_match = re.match(r"\S+", text[cue.start() :])
        assert word_match is not None
        word = word_match.group()
        before = [m for m in mentions if m.end <= cue.start()]
        after = [m for m in mentions if m.start >= cue.start() + len(word)]
        if not before or not after:
            continue
        subject = before[-1] if not before[-1].possessive or len(before) == 1 else before[-2]
        obj = next((m for m in after if m.slug != subject.slug), None)
        if obj is None or subject.slug == obj.slug:
            continue
        roles.setdefault(subject.slug, before_role)
        roles.setdefault(obj.slug, after_role)
        break
    return roles


# --- The five questions ---------------------------------------------------------

QUESTIONS: list[tuple[str, str]] = [
    ("distribution", "Who gets distribution advantages?"),
    ("compute_access", "Who gets computing resources?"),
    ("dependency", "Who takes on dependency risk?"),
    ("margin", "Who improves profit margins?"),
    ("gap_filling", "Who is filling a hole created by rising infrastructure costs?"),
    ("data_rights", "Who gains rights to data? (a rubric criterion beyond the five questions)"),
]
_CUES = {
    "distribution": r"\b(?:customers?|users|distribut\w*|integrat\w*|available (?:to|through|on|in)|offer\w*|sell\w*|resell\w*|marketplace|devices|reach|Copilot|Siri|built into|apps?)\b",
    "compute_access": r"\b(?:compute|computing|capacity|GPUs?|TPUs?|chips?|cluster|data cent(?:er|re)s?|supercomput\w*|infrastructure|gigawatts?|megawatts?|GW|MW|cloud|systems)\b",
    "dependency": r"\b(?:primary|exclusive|sole|rel(?:y|ies|iance)|depend\w*|commit\w*|minimum|lock\w*|rival|competitor|warrant|stake|notice|only)\b",
    "margin": r"\b(?:revenue|margins?|profit\w*|idle|unused|monetiz\w*|pays?|paid|price|pricing|costs?|fees?|sales)\b",
    "gap_filling": r"\b(?:shortage|constrain\w*|demand|usage limits|rate limits|immediately|right away|within the month|quickly|stopgap|need\w*|rising costs?|scale up|crunch|already moved|free to rent)\b",
    "data_rights": r"\b(?:data|datasets?|data-labeling|labell?ing)\b",
}
_CUE_RES = {key: re.compile(pattern, re.IGNORECASE) for key, pattern in _CUES.items()}
_COMPUTE_DEALS = {"compute_lease", "cloud_commitment", "chip_supply", "data_center_build"}
_TAKERS = {"customer", "investee", "licensee", "partner"}
_SUPPLIERS = {"provider", "investor", "licensor"}


def _answer(ws: Worksheet, org: OrganizationProposal, key: str, question: str, mentions: dict[str, set[int]]) -> Answer:
    deal_types = {d.slug for d in ws.deal_types}
    own = mentions.get(org.slug, set())
    cue_passages = tuple(i for i in sorted(own) if _CUE_RES[key].search(ws.sentences[i].text))
    everywhere = tuple(s.index for s in ws.sentences if _CUE_RES[key].search(s.text))
    role = org.role
    name = f"{org.name} ({role})"
    score: int | None = None
    passages = cue_passages
    if key == "distribution":
        has_distributor = any(o.role == "distributor" for o in ws.organizations)
        if "distribution" in deal_types or has_distributor:
            if role == "distributor":
                score, answer = 1, f"{name} lends its channel; the reach goes to the other side"
            else:
                exclusive = any(t.kind == "exclusive" for t in ws.terms)
                score = 4 if exclusive else 3
                answer = f"{name} reaches the distributor's customers" + (" exclusively" if exclusive else "")
            passages = cue_passages or everywhere
        elif cue_passages:
            score, answer = 2, f"{name} is named beside customers or channels"
        else:
            answer = f"Nothing in the text gives {org.name} new reach"
    elif key == "compute_access":
        if deal_types & _COMPUTE_DEALS and role in _TAKERS:
            score = 2 + bool(ws.capacities) + any(t.kind in ("length", "through") for t in ws.terms)
            answer = f"{name} gains capacity" + (" of a stated size" if ws.capacities else "")
            passages = cue_passages or everywhere
        elif deal_types & _COMPUTE_DEALS and role in _SUPPLIERS:
            score, answer = 0, f"{name} supplies the compute rather than gaining it"
        elif cue_passages:
            score, answer = 1, f"{name} is named beside compute, without a stated allocation"
        else:
            answer = f"Nothing in the text gives {org.name} computing resources"
    elif key == "dependency":
        short_exit = any(t.kind == "exit_notice" and Decimal(t.value.split()[0]) <= 180 for t in ws.terms)
        tied = bool(cue_passages)
        if deal_types & _COMPUTE_DEALS and role in _TAKERS:
            score = min(4, 2 + short_exit + tied)
            answer = f"{name} builds on capacity someone else controls" + (
                "; it can be withdrawn on short notice" if short_exit else ""
            )
            passages = cue_passages or everywhere
        elif role == "investee" or (role == "licensor" and "licensing_acquihire" in deal_types):
            score = 3 if role == "licensor" else 2 + tied
            answer = (
                f"{name} loses people or independence to the other side"
                if role == "licensor"
                else f"{name} takes money whose terms shape its plans"
            )
        elif role in _SUPPLIERS and cue_passages:
            score, answer = 1, f"{name} ties revenue or capital to one counterparty"
        else:
            answer = f"Nothing in the text shows {org.name} taking on dependency"
    elif key == "margin":
        idle = any(re.search(r"\b(?:idle|unused|already moved|free to rent)\b", s.text, re.I) for s in ws.sentences)
        if role in ("provider", "licensor") and ws.amounts:
            score = 3 if idle else 2
            answer = f"{name} books revenue" + (" from capacity it no longer needed" if idle else "")
            passages = cue_passages or tuple(sorted({a.sentence for a in ws.amounts}))
        elif role in ("provider", "distributor") and cue_passages:
            score, answer = 1, f"{name} may gain revenue; the text gives no figure"
        elif role == "customer" and cue_passages:
            score, answer = 1, f"{name} pays; its margins gain only if the capacity is cheaper than the alternatives"
        else:
            answer = f"Nothing in the text speaks to {org.name}'s margins"
    elif key == "gap_filling":
        gap = bool(cue_passages) or any(_CUE_RES[key].search(ws.sentences[i].text) for i in everywhere)
        if deal_types & _COMPUTE_DEALS and role in _TAKERS:
            score = 3 if gap else 2
            answer = f"{name} fills a capacity gap now" + (" (the text speaks of urgency or demand)" if gap else "")
            passages = cue_passages or everywhere
        elif role in _SUPPLIERS and cue_passages:
            score, answer = 2, f"{name} turns spare capacity or a cash need into a deal"
        else:
            answer = f"Nothing in the text shows {org.name} plugging a gap"
    else:  # data_rights
        if cue_passages:
            score, answer = 2, f"{name} is named beside data"
        else:
            answer = f"Nothing in the text gives {org.name} rights to data"
    if score is None:
        passages = ()
    return Answer(question, key, org.slug, answer, score, passages[:3])


# --- The whole reading ------------------------------------------------------------


def extract(
    text: str,
    *,
    organizations: Iterable[KnownOrganization] = (),
    aliases: Mapping[str, Iterable[str]] | None = None,
    deal_types: Iterable[str] | None = None,
) -> Worksheet:
    """Read an announcement; see the module docstring. ``deal_types``: the vocabulary allowed (slugs)."""
    text = normalize(text)[:MAX_TEXT]
    aliases = DEFAULT_ALIASES if aliases is None else aliases
    organizations = list(organizations)
    vocabulary = set(DEAL_TYPE_CUES) if deal_types is None else set(deal_types)
    ws = Worksheet(text=text, sentences=split_sentences(text))
    patterns = _known_patterns(organizations, aliases)
    known_names = {o.name.lower() for o in organizations} | {a.lower() for al in aliases.values() for a in al}
    first_seen: dict[str, tuple[int, str, bool]] = {}
    mentions: dict[str, set[int]] = {}
    roles: dict[str, tuple[str, int]] = {}
    for sentence in ws.sentences:
        known = _find_mentions(sentence, patterns)
        new = _new_mentions(sentence, known, known_names)
        all_mentions = sorted(known + new, key=lambda m: m.start)
        for mention in all_mentions:
            first_seen.setdefault(mention.slug, (len(first_seen), mention.name, mention in new))
            mentions.setdefault(mention.slug, set()).add(sentence.index)
        for slug, role in _roles(sentence, all_mentions).items():
            roles.setdefault(slug, (role, sentence.index))
        amounts = find_amounts(sentence)
        capacities = find_capacities(sentence)
        terms = find_terms(sentence)
        ws.amounts += amounts
        ws.capacities += capacities
        ws.terms += terms
        ws.dates += find_dates(sentence)
        vague, concrete = find_language(sentence, amounts, capacities, terms)
        ws.vague += vague
        ws.concrete += concrete
        for slug, pattern in DEAL_TYPE_CUES.items():
            if slug in vocabulary and all(d.slug != slug for d in ws.deal_types):
                match = re.search(pattern, sentence.text, re.IGNORECASE if slug != "chip_supply" else 0)
                if match:
                    ws.deal_types.append(DealTypeProposal(slug, match.group(), sentence.index))
    # A new name seen only once, with no role, is more likely a product or place than a party.
    for slug, (_, name, is_new) in sorted(first_seen.items(), key=lambda item: item[1][0]):
        if is_new and slug not in roles and len(mentions[slug]) < 2:
            continue
        role, role_sentence = roles.get(slug, ("partner", None))
        ws.organizations.append(
            OrganizationProposal(name, slug, is_new, role, tuple(sorted(mentions[slug])), role_sentence)
        )
    for org in ws.organizations:
        for key, question in QUESTIONS:
            ws.answers.append(_answer(ws, org, key, question, mentions))
    return ws


def scores_for_rubric(
    answers: Iterable[Answer], criteria: Iterable[str], scale_min: int = 0, scale_max: int = 4
) -> list[Answer]:
    """The answers that map onto the active rubric's criteria, their scores moved onto its scale."""
    keys = set(criteria)
    result = []
    for answer in answers:
        if answer.criterion not in keys or answer.score is None:
            continue
        value = scale_min + round(answer.score * (scale_max - scale_min) / 4)
        result.append(Answer(**{**answer.__dict__, "score": value}))
    return result
