"""The worksheet's corpus: real announcements on the demo deals, written out short, with expectations.

Each text restates public reporting (the companies' announcements and the
coverage cited in ``evaluations/demo_data/demo_cases.json``) in a few factual
sentences. The expectations were written by hand from the text and the demo
data, before the extractor was run on it, and are not adjusted to its output:

- ``organizations``/``roles``: the deal's parties and roles as the demo data
  records them (an organization the text names that is not a party is a false
  positive if the worksheet proposes it);
- ``deal_types``: the demo data's deal types;
- ``amounts``: (currency, low, high) for every sum of money in the text
  (``None`` for an open end: "up to $4B" is (None, 4e9));
- ``capacity``: ("power", MW) and ("chips", count) for every figure given;
- ``dates``: every date or year the text gives, as 2026-05-06, 2023-09 or 2026;
- ``terms``: (kind, value) for contract length, end date, exit notice,
  exclusivity and stakes;
- ``vague``: the phrases an editor would flag as strategic-sounding but empty;
- ``concrete``: which kinds of concrete commitment the text makes (money,
  capacity, exclusivity, term, exit rights).

``bench/worksheet_accuracy`` scores the extractor on this corpus field by
field; its output is kept in ``bench/WORKSHEET.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

from cases.worksheet import KnownOrganization

B = 1_000_000_000
M = 1_000_000

DEMO_CASES = Path(__file__).resolve().parents[2] / "evaluations" / "demo_data" / "demo_cases.json"


def known_organizations() -> list[KnownOrganization]:
    """The demo data's organizations, slugged the way the demo loader slugs them."""
    names = sorted({p["organization"] for c in json.loads(DEMO_CASES.read_text()) for p in c["parties"]})
    return [KnownOrganization(slug=slugify(name), name=name) for name in names]


@dataclass(frozen=True)
class Announcement:
    case: str  # the demo case's slug
    text: str
    organizations: frozenset[str]
    roles: frozenset[tuple[str, str]]
    deal_types: frozenset[str]
    amounts: frozenset[tuple[str, int | None, int | None]] = frozenset()
    capacity: frozenset[tuple[str, int]] = frozenset()
    dates: frozenset[str] = frozenset()
    terms: frozenset[tuple[str, str]] = frozenset()
    vague: tuple[str, ...] = ()
    concrete: frozenset[str] = field(default_factory=frozenset)


def _a(case, text, roles, deal_types, **expect) -> Announcement:
    return Announcement(
        case=case,
        text=" ".join(text.split()),
        organizations=frozenset(slug for slug, _ in roles),
        roles=frozenset(roles),
        deal_types=frozenset(deal_types),
        amounts=frozenset(expect.pop("amounts", ())),
        capacity=frozenset(expect.pop("capacity", ())),
        dates=frozenset(expect.pop("dates", ())),
        terms=frozenset(expect.pop("terms", ())),
        vague=tuple(expect.pop("vague", ())),
        concrete=frozenset(expect.pop("concrete", ())),
    )


STARGATE_ROLES = [
    ("softbank", "investor"), ("openai", "partner"), ("oracle", "investor"), ("mgx", "investor"),
    ("nvidia", "partner"), ("microsoft", "partner"), ("arm", "partner"),
]  # fmt: skip

CORPUS: list[Announcement] = [
    _a(
        "xai-anthropic-colossus-1",
        """Anthropic and SpaceX announced on May 6, 2026 that Anthropic will use all of the compute capacity
        of Colossus 1, the Memphis data center that xAI built to train Grok. The agreement gives Anthropic
        access to more than 300 megawatts of new capacity, over 220,000 NVIDIA GPUs, within the month.
        xAI leases the cluster to Anthropic after moving its own training to Colossus 2. Anthropic said the
        added capacity lets it raise usage limits for Claude right away. A later SpaceX filing put the price
        at $1.25 billion per month through May 2029, with either side able to exit on 90 days' notice.""",
        [("xai", "provider"), ("anthropic", "customer")],
        ["compute_lease"],
        amounts=[("USD", 1250 * M, 1250 * M)],
        capacity=[("power", 300), ("chips", 220_000)],
        dates=["2026-05-06", "2029-05"],
        terms=[("through", "2029-05"), ("exit_notice", "90 days")],
        concrete=["money", "capacity", "term", "exit rights"],
    ),
    _a(
        "microsoft-openai",
        """Microsoft and OpenAI announced on July 22, 2019 that Microsoft will invest $1 billion in OpenAI.
        Under the multiyear partnership, Azure becomes OpenAI's exclusive cloud provider, and OpenAI will
        port its services to run on Microsoft Azure. Microsoft will become OpenAI's preferred partner for
        commercializing new AI technologies. The companies will jointly build new Azure AI supercomputing
        technologies to advance the development of artificial general intelligence.""",
        [("microsoft", "investor"), ("openai", "investee")],
        ["equity_investment", "cloud_commitment"],
        amounts=[("USD", 1 * B, 1 * B)],
        dates=["2019-07-22"],
        terms=[("exclusive", "")],
        vague=["multiyear partnership", "preferred partner"],
        concrete=["money", "exclusivity"],
    ),
    _a(
        "amazon-anthropic",
        """Amazon will invest up to $4 billion in Anthropic and take a minority ownership position, the
        companies announced on September 25, 2023. Amazon Web Services will become Anthropic's primary cloud
        provider for mission-critical workloads. Anthropic will build, train and deploy its future foundation
        models on AWS Trainium and Inferentia chips. The initial investment is $1.25 billion, with an option
        for a further $2.75 billion. AWS customers will get access to Claude through Amazon Bedrock.""",
        [("amazon", "investor"), ("anthropic", "investee")],
        ["equity_investment", "cloud_commitment", "chip_supply"],
        amounts=[("USD", None, 4 * B), ("USD", 1250 * M, 1250 * M), ("USD", 2750 * M, 2750 * M)],
        dates=["2023-09-25"],
        concrete=["money"],
    ),
    _a(
        "google-anthropic",
        """Anthropic announced on October 23, 2025 that it will expand its use of Google Cloud technologies,
        including up to one million TPUs. The expansion is worth tens of billions of dollars and is expected
        to bring well over a gigawatt of capacity online in 2026. Anthropic said the capacity will help it
        meet exponentially growing demand from customers. Google has invested in Anthropic since 2023 and
        committed up to $2 billion more in October 2023.""",
        [("google", "provider"), ("anthropic", "customer")],
        ["equity_investment", "cloud_commitment", "chip_supply"],
        amounts=[("USD", None, 2 * B)],
        capacity=[("power", 1000), ("chips", 1_000_000)],
        dates=["2025-10-23", "2026", "2023", "2023-10"],
        vague=["tens of billions of dollars"],
        concrete=["money", "capacity"],
    ),
    _a(
        "microsoft-inflection-ai",
        """Mustafa Suleyman and Karén Simonyan, co-founders of Inflection AI, are joining Microsoft to lead a
        new organization called Microsoft AI, the company said on March 19, 2024. Several members of
        Inflection's team will join them. Microsoft will also pay Inflection about $620 million to license
        its models and about $30 million to waive legal claims over the hiring, according to reports.
        Inflection said it will focus on selling its AI studio to business customers.""",
        [("microsoft", "licensee"), ("inflection-ai", "licensor")],
        ["licensing_acquihire"],
        amounts=[("USD", 620 * M, 620 * M), ("USD", 30 * M, 30 * M)],
        dates=["2024-03-19"],
        concrete=["money"],
    ),
    _a(
        "google-character-ai",
        """Character.AI announced on August 2, 2024 that it has agreed to give Google a non-exclusive license
        for its current large language model technology. Co-founders Noam Shazeer and Daniel De Freitas will
        join Google DeepMind along with some members of the research team. Character.AI said the licensing
        money will let it keep growing and that it will keep building personalized AI products for its
        users. The Wall Street Journal later reported that Google paid about $2.7 billion.""",
        [("google", "licensee"), ("characterai", "licensor")],
        ["licensing_acquihire"],
        amounts=[("USD", 2700 * M, 2700 * M)],
        dates=["2024-08-02"],
        terms=[("non_exclusive", "")],
        concrete=["money", "exclusivity"],
    ),
    _a(
        "amazon-adept",
        """Adept said in June 2024 that its CEO David Luan and several co-founders and team members are
        joining Amazon's AGI organization. Amazon will take a non-exclusive license to some of Adept's
        technology, including its multimodal agent models and datasets. Adept will continue to operate
        independently and focus on agentic AI solutions for its remaining customers.""",
        [("amazon", "licensee"), ("adept", "licensor")],
        ["licensing_acquihire"],
        dates=["2024-06"],
        terms=[("non_exclusive", "")],
        vague=["agentic AI solutions"],
        concrete=["exclusivity"],
    ),
    _a(
        "microsoft-mistral-ai",
        """Microsoft and Mistral AI announced a multi-year partnership on February 26, 2024. Mistral AI will
        get access to Azure AI supercomputing infrastructure to train and deploy its next-generation large
        language models. Mistral Large, the company's premium model, will be offered to customers through
        Azure AI. Microsoft will also invest €15 million in Mistral AI, an investment that converts to equity
        in a future funding round.""",
        [("microsoft", "distributor"), ("mistral-ai", "investee")],
        ["distribution", "equity_investment"],
        amounts=[("EUR", 15 * M, 15 * M)],
        dates=["2024-02-26"],
        vague=["multi-year partnership", "next-generation"],
        concrete=["money"],
    ),
    _a(
        "apple-openai-chatgpt",
        """Apple announced at WWDC on June 10, 2024 that ChatGPT will be integrated into Siri and systemwide
        writing tools in iOS 18, iPadOS 18 and macOS Sequoia. Users will be asked before any question is sent
        to ChatGPT, and they can use it for free without creating an account. OpenAI said the partnership
        brings its technology to more people. Bloomberg reported that Apple is not paying OpenAI and sees
        distribution on its devices as payment.""",
        [("apple", "distributor"), ("openai", "provider")],
        ["distribution"],
        dates=["2024-06-10"],
        vague=["brings its technology to more people"],
    ),
    _a(
        "stargate-openai-softbank-oracle-mgx",
        """OpenAI, SoftBank, Oracle and MGX announced on January 21, 2025 the Stargate Project, a new company
        that intends to invest $500 billion over the next four years building new AI infrastructure for
        OpenAI in the United States. The partners will deploy $100 billion immediately. SoftBank and OpenAI
        are the lead partners, with SoftBank having financial responsibility and OpenAI operational
        responsibility. Arm, Microsoft, NVIDIA, Oracle and OpenAI are the key initial technology partners.
        The buildout is underway in Abilene, Texas.""",
        STARGATE_ROLES,
        ["joint_venture", "data_center_build"],
        amounts=[("USD", 500 * B, 500 * B), ("USD", 100 * B, 100 * B)],
        dates=["2025-01-21"],
        terms=[("length", "4 years")],
        vague=["key initial technology partners"],
        concrete=["money", "term"],
    ),
    _a(
        "coreweave-openai",
        """CoreWeave has signed a five-year contract worth up to $11.9 billion to supply AI infrastructure to
        OpenAI, the company said on March 10, 2025. As part of the agreement, OpenAI will receive $350 million
        of CoreWeave stock in a private placement. The deal comes weeks before CoreWeave's planned initial
        public offering. Microsoft accounted for 62% of CoreWeave's revenue in 2024.""",
        [("coreweave", "provider"), ("openai", "customer")],
        ["cloud_commitment", "equity_investment"],
        amounts=[("USD", None, 11_900 * M), ("USD", 350 * M, 350 * M)],
        dates=["2025-03-10", "2024"],
        terms=[("length", "5 years")],
        concrete=["money", "term"],
    ),
    _a(
        "nvidia-openai-10gw",
        """OpenAI and NVIDIA announced on September 22, 2025 a letter of intent for a landmark strategic
        partnership to deploy at least 10 gigawatts of NVIDIA systems for OpenAI's next-generation AI
        infrastructure. To support the deployment, NVIDIA intends to invest up to $100 billion in OpenAI
        progressively as each gigawatt is deployed. The first gigawatt is targeted for the second half of
        2026 on the NVIDIA Vera Rubin platform.""",
        [("nvidia", "investor"), ("openai", "customer")],
        ["chip_supply", "equity_investment"],
        amounts=[("USD", None, 100 * B)],
        capacity=[("power", 10_000)],
        dates=["2025-09-22", "2026"],
        vague=["landmark", "strategic partnership", "next-generation"],
        concrete=["money", "capacity"],
    ),
    _a(
        "amd-openai-6gw",
        """AMD and OpenAI announced on October 6, 2025 a strategic partnership to deploy 6 gigawatts of AMD
        Instinct GPUs over multiple generations. The first 1 gigawatt deployment of AMD Instinct MI450 GPUs is
        set to begin in the second half of 2026. AMD has issued OpenAI a warrant for up to 160 million shares
        of AMD common stock, vesting as deployment milestones are reached. AMD expects the agreement to
        deliver tens of billions of dollars in revenue.""",
        [("amd", "provider"), ("openai", "customer")],
        ["chip_supply", "equity_investment"],
        capacity=[("power", 6000), ("power", 1000)],
        dates=["2025-10-06", "2026"],
        vague=["strategic partnership", "tens of billions of dollars"],
        concrete=["capacity"],
    ),
    _a(
        "microsoft-nvidia-anthropic",
        """Microsoft, NVIDIA and Anthropic announced new strategic partnerships on November 18, 2025.
        Anthropic has committed to purchase $30 billion of Azure compute capacity and to contract additional
        compute capacity up to one gigawatt. NVIDIA has committed to invest up to $10 billion in Anthropic and
        Microsoft up to $5 billion. Claude models will be available to Microsoft Foundry customers and across
        Microsoft's Copilot family.""",
        [("anthropic", "customer"), ("microsoft", "provider"), ("nvidia", "investor")],
        ["cloud_commitment", "equity_investment"],
        amounts=[("USD", 30 * B, 30 * B), ("USD", None, 10 * B), ("USD", None, 5 * B)],
        capacity=[("power", 1000)],
        dates=["2025-11-18"],
        vague=["strategic partnerships"],
        concrete=["money", "capacity"],
    ),
    _a(
        "meta-scale-ai",
        """Scale AI announced on June 12, 2025 a significant new investment from Meta that values the company
        at more than $29 billion. Meta is investing $14.3 billion for a 49% non-voting stake in Scale AI.
        Scale founder and CEO Alexandr Wang will join Meta to work on its superintelligence efforts, while
        remaining on Scale's board. Jason Droege, Scale's chief strategy officer, becomes interim CEO. The two
        companies said they will deepen their work together on producing data for AI models.""",
        [("meta", "investor"), ("scale-ai", "investee")],
        ["equity_investment", "licensing_acquihire"],
        amounts=[("USD", 29 * B, None), ("USD", 14_300 * M, 14_300 * M)],
        dates=["2025-06-12"],
        terms=[("stake", "49%")],
        vague=["significant new investment", "deepen their work together"],
        concrete=["money"],
    ),
    _a(
        "oracle-openai-compute",
        """OpenAI announced on July 22, 2025 that it has agreed with Oracle to develop 4.5 gigawatts of
        additional Stargate data center capacity in the United States. Together with the site in Abilene,
        Texas, Stargate capacity under development will exceed 5 GW and run over 2 million chips. The Wall
        Street Journal later reported that OpenAI agreed to buy $300 billion of computing power from Oracle
        over about five years, starting in 2027.""",
        [("oracle", "provider"), ("openai", "customer")],
        ["cloud_commitment", "data_center_build"],
        amounts=[("USD", 300 * B, 300 * B)],
        capacity=[("power", 4500), ("power", 5000), ("chips", 2_000_000)],
        dates=["2025-07-22", "2027"],
        terms=[("length", "5 years")],
        concrete=["money", "capacity", "term"],
    ),
]
