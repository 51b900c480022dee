"""Loading the demo corpus: rubric v1 and sixteen real deals, scored."""

from __future__ import annotations

import json
import secrets
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.text import slugify

from cases.models import (
    Case,
    DatePrecision,
    DealType,
    Organization,
    OrganizationAlias,
    OrganizationRelationship,
    Party,
    Source,
    TimelineEvent,
    normalize_organization_name,
)
from core.text import text_tree_normalize
from evaluations import anchoring
from evaluations.models import (
    Annotation,
    Criterion,
    Evaluation,
    EvaluationVersion,
    Rubric,
    RubricVersion,
    Score,
)
from evaluations.services import double_scoring, exposures, publishing, recompute, rubric_versions
from evaluations.services.evidence import CitationInput, citations_validated, citations_write

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
DESK_USERNAME = "moatwatch-desk"
# The two editors who scored one demo case independently (accounts that cannot log in, like the desk's).
DEMO_SCORERS = ("moatwatch-scorer-a", "moatwatch-scorer-b")
DEMO_ACCOUNTS = (("editor", "Editors"), ("editor2", "Editors"), ("reviewer", "Reviewers"), ("admin", "Admins"))


def _read(name: str):
    # The loader writes rows directly, so its text goes through the one text rule here.
    return text_tree_normalize(json.loads((DATA_DIR / name).read_text()), where=name)


def parse_optional_partial_date(value: str | None) -> tuple[date | None, str]:
    """``parse_partial_date``, or no date (day precision) for an empty value."""
    if not value:
        return None, DatePrecision.DAY
    return parse_partial_date(value)


def parse_partial_date(value: str) -> tuple[date, str]:
    """``2023-02-14`` / ``2023-02`` / ``2023`` to a date and its precision."""
    parts = [int(p) for p in value.split("-")]
    precision = {1: DatePrecision.YEAR, 2: DatePrecision.MONTH, 3: DatePrecision.DAY}[len(parts)]
    parts += [1] * (3 - len(parts))
    return date(*parts), precision


def desk_user(username: str = DESK_USERNAME):
    """The account that signs imported work (it cannot log in)."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": "Moatwatch", "last_name": "desk", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def load_rubric(data: dict) -> RubricVersion:
    rubric, _ = Rubric.objects.get_or_create(
        slug=data["rubric"]["slug"],
        defaults={"name": data["rubric"]["name"], "description": data["rubric"]["description"]},
    )
    existing = RubricVersion.objects.filter(rubric=rubric, number=data["version"]["number"]).first()
    if existing:
        return existing
    version = rubric_versions.rubric_version_create(rubric=rubric, data=data, by=None)
    return rubric_versions.rubric_version_activate(version=version, by=None)


def _organization(name: str, kind: str) -> Organization:
    organization, _ = Organization.objects.get_or_create(name=name, defaults={"slug": slugify(name), "kind": kind})
    return organization


@transaction.atomic
def load_case(item: dict, evaluation: dict | None, rubric_version: RubricVersion, author) -> Case | None:
    if Case.objects.filter(slug=item["slug"]).exists():
        return None
    announced_on, precision = parse_partial_date(item["announced_on"])
    value = item.get("reported_value_usd") or {}
    capacity = item.get("capacity") or {}
    case = Case.objects.create(
        title=item["title"],
        slug=item["slug"],
        summary=item["summary"],
        announced_on=announced_on,
        announced_precision=precision,
        value_low_usd=value.get("low"),
        value_high_usd=value.get("high"),
        value_note=value.get("note") or "",
        capacity_mw=capacity.get("megawatts"),
        capacity_chips=capacity.get("chips"),
        capacity_note=capacity.get("note") or "",
    )
    case.deal_types.set(
        [
            DealType.objects.get_or_create(slug=slug, defaults={"name": slug.replace("_", " ")})[0]
            for slug in item["deal_types"]
        ]
    )
    parties: dict[tuple[str, str], Party] = {}
    for position, party in enumerate(item["parties"]):
        organization = _organization(party["organization"], party["kind"])
        parties[(organization.name, party["role"])] = Party.objects.create(
            case=case, organization=organization, role=party["role"], note=party.get("unit", ""), position=position
        )
    for position, source in enumerate(item["sources"]):
        published_on, source_precision = parse_optional_partial_date(source.get("published_on"))
        Source.objects.create(
            case=case,
            publisher=source["publisher"],
            title=source["title"],
            url=source["url"],
            published_on=published_on,
            published_precision=source_precision,
            excerpt=source.get("excerpt", ""),
            position=position,
        )
    TimelineEvent.objects.create(
        case=case, kind=TimelineEvent.Kind.ANNOUNCED, occurred_on=announced_on, precision=precision
    )
    if evaluation:
        _load_evaluation(case, parties, evaluation, rubric_version, author)
    return case


def _party(parties: dict[tuple[str, str], Party], entry: dict) -> Party:
    """The party an evaluation's entry scores: by organization name, and by ``role`` when the
    organization holds several roles in the deal (an entry must then say which)."""
    if "role" in entry:
        return parties[(entry["organization"], entry["role"])]
    (party,) = [p for (name, _), p in parties.items() if name == entry["organization"]]
    return party


def _load_evaluation(case: Case, parties: dict, data: dict, rubric_version: RubricVersion, author) -> None:
    criteria = {c.key: c for c in Criterion.objects.filter(version=rubric_version)}
    narrative = data.get("narrative") or ""
    version = EvaluationVersion.objects.create(
        evaluation=Evaluation.objects.create(case=case, rubric_version=rubric_version),
        case=case,
        number=1,
        state=EvaluationVersion.State.IN_REVIEW,
        author=author,
        narrative=narrative,
        verdict=data.get("verdict") or "",
        change_note="Imported from the demo corpus.",
    )
    scores = Score.objects.bulk_create(
        [
            Score(
                version=version,
                criterion=criteria[key],
                party=_party(parties, party),
                value=value,
                rationale=party.get("rationale", {}).get(key, ""),
            )
            for party in data["parties"]
            for key, value in party["scores"].items()
        ]
    )
    _load_evidence(case, scores, data)
    for note in data.get("annotations", []):
        prefix, suffix = anchoring.context_for(narrative, note["quote"])
        Annotation.objects.create(
            version=version,
            quote=note["quote"],
            prefix=prefix,
            suffix=suffix,
            kind=note["kind"],
            body=note["body"],
            author=author,
        )
    if data.get("double_scoring"):
        _load_double_scoring(version, parties, data["double_scoring"], author)
    publishing.evaluation_version_publish(version=version, by=author)


def _load_double_scoring(version: EvaluationVersion, parties: dict, data: dict, author) -> None:
    """``double_scoring: {first: {organization: {criterion: n}}, second: ..., settlements: [...]}``:
    recorded by the double scoring service, as a desk's would be, before the version is published."""

    def sheet(scores: dict) -> list[double_scoring.RawScoreInput]:
        return [
            double_scoring.RawScoreInput(key, _party(parties, {"organization": name}).pk, value)
            for name, by_key in scores.items()
            for key, value in by_key.items()
        ]

    double_scoring.double_scoring_import(
        version=version,
        by=author,
        first_scorer=desk_user(DEMO_SCORERS[0]),
        second_scorer=desk_user(DEMO_SCORERS[1]),
        first_scores=sheet(data["first"]),
        second_scores=sheet(data["second"]),
        settlements=[
            double_scoring.SettlementInput(s["criterion"], _party(parties, s).pk, s["value"], s["note"])
            for s in data["settlements"]
        ],
    )


def _load_evidence(case: Case, scores: list[Score], data: dict) -> None:
    """The scores' evidence: ``evidence: {criterion: [{source: n, quote?}]}`` per party, n the source's
    position in the case. Quotes are checked and anchored by the evidence service, as an editor's are."""
    sources = list(case.sources.order_by("position", "id"))
    excerpts = {s.pk: s.excerpt for s in sources}
    by_key = {(score.party_id, score.criterion.key): score for score in scores}
    links, cited = [], []
    for party in data["parties"]:
        party_id = _party(
            {(p.organization.name, p.role): p for p in case.parties.select_related("organization")}, party
        ).pk
        for key, items in party.get("evidence", {}).items():
            score = by_key[(party_id, key)]
            quotes = [CitationInput(sources[i["source"]].pk, i["quote"]) for i in items if i.get("quote")]
            citations, problems = citations_validated(excerpts, quotes)
            if problems:
                raise ValueError(f"demo evidence for {case.slug} {key}: {problems}")
            cited.append((score, citations))
            links += [(score.pk, sources[i["source"]].pk) for i in items]
    Score.sources.through.objects.bulk_create(
        [Score.sources.through(score_id=score_id, source_id=source_id) for score_id, source_id in dict.fromkeys(links)]
    )
    citations_write(cited)


def load_demo() -> dict[str, int]:
    """Load everything that is not there yet; a second run changes nothing."""
    rubric_version = load_rubric(_read("rubric_v1.json"))
    author = desk_user()
    evaluations = {e["case"]: e for e in _read("demo_evaluations.json")}
    created = [
        case
        for item in _read("demo_cases.json")
        if (case := load_case(item, evaluations.get(item["slug"]), rubric_version, author))
    ]
    relationships_created = load_relationships(_read("demo_relationships.json"))
    recompute.risk_summaries_recompute(case_ids=list(Case.objects.values_list("pk", flat=True)))
    if relationships_created:  # the exposures computed while the cases loaded did not know the groups yet
        exposures.organization_exposures_recompute(organization_ids=Organization.objects.values_list("pk", flat=True))
    return {
        "cases_created": len(created),
        "cases_total": Case.objects.count(),
        "relationships_created": relationships_created,
    }


@transaction.atomic
def load_relationships(data: dict) -> int:
    """The real corporate links the demo deals need (published, with sources), and common aliases.

    Loaded like the cases, by the importer (no reviewer signs demo data); the
    exposures' recompute that follows reads them for the independent paths.
    """
    for item in data["organizations"]:
        Organization.objects.get_or_create(
            name=item["name"],
            defaults={"slug": slugify(item["name"]), "kind": item["kind"], "description": item["description"]},
        )
    by_name = {o.name: o for o in Organization.objects.all()}
    created = 0
    for item in data["relationships"]:
        started_on, precision = parse_partial_date(item["started_on"])
        _, was_created = OrganizationRelationship.objects.get_or_create(
            subject=by_name[item["subject"]],
            parent=by_name[item["parent"]],
            kind=item["kind"],
            started_on=started_on,
            defaults={
                "started_precision": precision,
                "source_publisher": item["source"]["publisher"],
                "source_title": item["source"]["title"],
                "source_url": item["source"]["url"],
                "note": item.get("note", ""),
                "is_published": True,
            },
        )
        created += was_created
    for name, aliases in data["aliases"].items():
        for alias in aliases:
            OrganizationAlias.objects.get_or_create(
                normalized=normalize_organization_name(alias), defaults={"organization": by_name[name], "name": alias}
            )
    return created


def create_demo_accounts() -> list[tuple[str, str | None]]:
    """Create the demo accounts that are missing; return (username, password or None if it existed)."""
    User = get_user_model()
    result: list[tuple[str, str | None]] = []
    for username, group_name in DEMO_ACCOUNTS:
        if User.objects.filter(username=username).exists():
            result.append((username, None))
            continue
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(
            username=username,
            email=f"{username}@moatwatch.invalid",
            password=password,
            is_staff=group_name == "Admins",
            is_superuser=group_name == "Admins",
        )
        user.groups.add(Group.objects.get(name=group_name))
        result.append((username, password))
    return result
