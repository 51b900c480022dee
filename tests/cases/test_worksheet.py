"""The worksheet's extractor (cases.worksheet): pure, so no database here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cases.worksheet import (
    KnownOrganization,
    Sentence,
    extract,
    find_amounts,
    find_capacities,
    find_dates,
    find_terms,
    normalize,
    scores_for_rubric,
    split_sentences,
)

KNOWN = [
    KnownOrganization("anthropic", "Anthropic"),
    KnownOrganization("xai", "xAI"),
    KnownOrganization("amazon", "Amazon"),
    KnownOrganization("apple", "Apple"),
    KnownOrganization("openai", "OpenAI"),
    KnownOrganization("microsoft", "Microsoft"),
]


def _s(text: str) -> Sentence:
    return Sentence(0, 0, len(text), text)


def _amounts(text: str) -> list[tuple[str, int | None, int | None]]:
    return [(a.currency, a.low, a.high) for a in find_amounts(_s(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Amazon will invest $8 billion.", [("USD", 8 * 10**9, 8 * 10**9)]),
        ("It commits up to $4B.", [("USD", None, 4 * 10**9)]),
        ("A deal worth €2.5bn.", [("EUR", 2_500_000_000, 2_500_000_000)]),
        ("Worth between $1 and $2 billion.", [("USD", 10**9, 2 * 10**9)]),
        ("Analysts put it at $3-4B a year.", [("USD", 3 * 10**9, 4 * 10**9)]),
        ("From $1 billion to $2 billion over time.", [("USD", 10**9, 2 * 10**9)]),
        ("More than $40B if it runs its term.", [("USD", 40 * 10**9, None)]),
        ("It paid about $650 million.", [("USD", 650 * 10**6, 650 * 10**6)]),
        ("A fee of 15 million euros.", [("EUR", 15 * 10**6, 15 * 10**6)]),
        (
            "£500m in cash and USD 2 billion in credits.",
            [("GBP", 500 * 10**6, 500 * 10**6), ("USD", 2 * 10**9, 2 * 10**9)],
        ),
        # "and" joins two sums unless "between" opened a range.
        (
            "$1.25 billion upfront and $2.75 billion later.",
            [("USD", 1_250_000_000, 1_250_000_000), ("USD", 2_750_000_000, 2_750_000_000)],
        ),
        ("No money was disclosed; it grows 20% a year.", []),
    ],
)
def test_amounts(text, expected):
    assert _amounts(text) == expected


def test_amounts_per_period():
    (amount,) = find_amounts(_s("The price is $1.25B per month through May 2029."))
    assert (amount.low, amount.per) == (1_250_000_000, "month")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("More than 300 megawatts of capacity.", [("power", Decimal(300))]),
        ("It adds 4.5 GW in Texas and 1 GW in Ohio.", [("power", Decimal(4500)), ("power", Decimal(1000))]),
        ("Well over a gigawatt comes online.", [("power", Decimal(1000))]),
        ("Over 220,000 NVIDIA GPUs within the month.", [("chips", Decimal(220_000))]),
        ("Up to one million TPUs.", [("chips", Decimal(1_000_000))]),
        ("The first 1 gigawatt of MI450 GPUs.", [("power", Decimal(1000))]),  # not 450 chips
        ("A warrant for 160 million shares.", []),
    ],
)
def test_capacity(text, expected):
    assert [(c.kind, c.value) for c in find_capacities(_s(text))] == expected


def test_dates_keep_their_precision():
    dates = find_dates(_s("Announced on May 6, 2026 (or 6 May 2026), first talks in September 2023, live in 2027."))
    assert [(d.value, d.precision) for d in dates] == [
        ("2026-05-06", "day"),
        ("2026-05-06", "day"),
        ("2023-09", "month"),
        ("2027", "year"),
    ]
    assert find_dates(_s("It costs $2026 and 2,027 units.")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A five-year contract.", [("length", "5 years")]),
        ("Spending over the next four years.", [("length", "4 years")]),
        ("It runs through May 2029.", [("through", "2029-05")]),
        ("Either side may exit on 90 days' notice.", [("exit_notice", "90 days")]),
        ("A non-exclusive license.", [("non_exclusive", "")]),
        ("Azure becomes its exclusive cloud.", [("exclusive", "")]),
        ("A 49% non-voting stake.", [("stake", "49%")]),
        ("It waived its right of first refusal.", [("first_refusal", "")]),
    ],
)
def test_terms(text, expected):
    assert [(t.kind, t.value) for t in find_terms(_s(text))] == expected


def test_sentences_do_not_break_on_abbreviations_or_decimals():
    raw = "Headline here\nOracle will build U.S. sites for $1.5 billion. Nimbus Inc. agreed.  It   starts in 2027!"
    text = normalize(raw)
    assert [s.text for s in split_sentences(text)] == [
        "Headline here",
        "Oracle will build U.S. sites for $1.5 billion.",
        "Nimbus Inc. agreed.",
        "It starts in 2027!",
    ]
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text


def test_known_organizations_aliases_and_new_names():
    ws = extract(
        "AWS will supply Trainium chips to Anthropic. Nimbus Compute Inc. signed a deal with Anthropic. "
        "People eat an apple a day.",
        organizations=KNOWN,
    )
    by_slug = {o.slug: o for o in ws.organizations}
    assert by_slug["amazon"].name == "Amazon" and not by_slug["amazon"].is_new  # through the AWS alias
    assert by_slug["nimbus-compute"].is_new and by_slug["nimbus-compute"].name == "Nimbus Compute"
    assert "apple" not in by_slug  # a lower-case word is not the company
    assert (by_slug["amazon"].role, by_slug["anthropic"].role) == ("provider", "customer")
    assert by_slug["amazon"].role_sentence == 0


def test_the_alias_hook_takes_the_callers_aliases():
    text = "Claude maker Anthropic will rent capacity from Colossus Holdings."
    known = [*KNOWN, KnownOrganization("spacex", "SpaceX", aliases=("Colossus Holdings",))]
    ws = extract(text, organizations=known)
    assert {o.slug for o in ws.organizations} == {"anthropic", "spacex"}
    ws = extract(text, organizations=KNOWN, aliases={"xai": ("Colossus Holdings",)})
    assert {(o.slug, o.is_new) for o in ws.organizations} == {("anthropic", False), ("xai", False)}


def test_people_are_not_proposed_as_organizations():
    ws = extract(
        "Anthropic CEO Dario Amodei said the lease from xAI helps. Dario Amodei said it again.", organizations=KNOWN
    )
    assert {o.slug for o in ws.organizations} == {"anthropic", "xai"}


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("xAI leases the cluster to Anthropic.", {"xai": "provider", "anthropic": "customer"}),
        ("Amazon will invest $4B in Anthropic.", {"amazon": "investor", "anthropic": "investee"}),
        ("Anthropic raised $2B from Amazon.", {"anthropic": "investee", "amazon": "investor"}),
        ("Apple will integrate OpenAI's model into Siri.", {"apple": "distributor", "openai": "provider"}),
        ("Microsoft licenses OpenAI's models.", {"microsoft": "licensee", "openai": "licensor"}),
        ("Anthropic and OpenAI met.", {"anthropic": "partner", "openai": "partner"}),
    ],
)
def test_roles(text, roles):
    assert {o.slug: o.role for o in extract(text, organizations=KNOWN).organizations} == roles


def test_deal_types_only_from_the_vocabulary_given():
    text = "xAI leases the cluster to Anthropic, and Amazon takes a stake in Anthropic."
    assert {d.slug for d in extract(text, organizations=KNOWN).deal_types} == {"compute_lease", "equity_investment"}
    limited = extract(text, organizations=KNOWN, deal_types=["compute_lease"])
    assert [d.slug for d in limited.deal_types] == ["compute_lease"]


def test_vague_language_is_counted_apart_from_concrete_commitments():
    ws = extract(
        "Anthropic and xAI announce a transformational, multi-year strategic partnership. "
        "xAI leases 300 MW to Anthropic for $1.25 billion per month under an exclusive five-year lease, "
        "terminable on 90 days' notice.",
        organizations=KNOWN,
    )
    assert sorted(f.label for f in ws.vague) == ["multi-year", "strategic partnership", "transformational"]
    assert ws.vague_count == 3
    assert sorted(f.label for f in ws.concrete) == ["capacity", "exclusivity", "exit rights", "money", "term"]
    assert ws.concrete_count == 5
    assert {f.sentence for f in ws.vague} == {0} and {f.sentence for f in ws.concrete} == {1}


COLOSSUS = (
    "xAI leases all of Colossus 1 to Anthropic: more than 300 megawatts, over 220,000 NVIDIA GPUs, within the "
    "month. Anthropic said the capacity lets it raise usage limits right away. The price is $1.25 billion per "
    "month through May 2029, and either side may exit on 90 days' notice."
)


def test_the_five_questions_per_party_with_their_passages():
    ws = extract(COLOSSUS, organizations=KNOWN)
    answers = {(a.organization, a.criterion): a for a in ws.answers}
    assert {a.criterion for a in ws.answers} == {
        "distribution", "compute_access", "dependency", "margin", "gap_filling", "data_rights",
    }  # fmt: skip
    compute = answers[("anthropic", "compute_access")]
    assert compute.score == 4 and compute.passages and "300 megawatts" in ws.sentence(compute.passages[0])
    assert answers[("xai", "compute_access")].score == 0  # it supplies the compute
    dependency = answers[("anthropic", "dependency")]
    assert dependency.score >= 3 and "notice" in dependency.answer
    assert answers[("anthropic", "gap_filling")].score == 3  # "right away": a hole filled now
    assert answers[("xai", "margin")].score == 2 and answers[("xai", "margin")].passages
    assert answers[("anthropic", "data_rights")].score is None  # nothing about data: no proposal
    assert answers[("anthropic", "data_rights")].passages == ()


def test_scores_map_onto_the_rubric_criteria_and_scale():
    ws = extract(COLOSSUS, organizations=KNOWN)
    mapped = scores_for_rubric(ws.answers, ["compute_access", "dependency"], 0, 4)
    assert {a.criterion for a in mapped} == {"compute_access", "dependency"}
    assert all(a.score is not None for a in mapped)
    ten = scores_for_rubric(ws.answers, ["compute_access"], 0, 10)
    assert {a.organization: a.score for a in ten} == {"anthropic": 10, "xai": 0}


def test_deterministic_and_bounded():
    first, second = extract(COLOSSUS, organizations=KNOWN), extract(COLOSSUS, organizations=KNOWN)
    assert first == second
    ws = extract("x" * 50_000)
    assert len(ws.text) == 20_000 and ws.organizations == []
    assert extract("").sentences == []


def test_control_characters_and_odd_spacing_are_normalized():
    assert normalize("A\x00B\r\nC\u00a0\u00a0D\n\n\n\nE") == "AB\nC D\n\nE"
