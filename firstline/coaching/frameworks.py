"""The two competency frameworks Firstline ships: one for sellers, one for first-line managers built
on the five responsibilities. Each competency describes the behaviour to look for at levels 1–5."""

SELLER_FRAMEWORK = (
    "Seller essentials",
    "seller",
    "What a quota-carrying seller must do well, from first call to signed contract.",
    [
        (
            "Prospecting",
            "Builds enough qualified pipeline, from the right accounts, without being asked.",
            [
                "Waits for leads to arrive; pipeline is thin and late.",
                "Prospects in bursts when pipeline runs low.",
                "Keeps a steady weekly prospecting rhythm and covers the quarter.",
                "Targets accounts by potential and trigger events; coverage is ahead of plan.",
                "Runs multi-channel campaigns others copy; pipeline never dries up.",
            ],
        ),
        (
            "Discovery",
            "Uncovers the customer's business need, its cost and who decides.",
            [
                "Pitches before understanding the need.",
                "Asks scripted questions but rarely follows up.",
                "Finds the business need and its impact in most first meetings.",
                "Quantifies the cost of inaction and maps the decision process.",
                "Helps customers see problems they had not named; teaches others how.",
            ],
        ),
        (
            "Solution fit",
            "Shapes a solution that answers the need and differentiates from alternatives.",
            [
                "Presents every feature to every customer.",
                "Links some features to needs.",
                "Tailors the proposal to the need and the buyer's criteria.",
                "Sets the decision criteria in our favour before the competition arrives.",
                "Designs solutions that create new value and are reused by the team.",
            ],
        ),
        (
            "Negotiation",
            "Closes on fair terms, trading concessions rather than giving them.",
            [
                "Discounts to get the deal over the line.",
                "Holds price sometimes, concedes under pressure.",
                "Prepares walk-away points and trades concessions.",
                "Negotiates multi-year and expansion terms that protect margin.",
                "Coaches others through complex negotiations.",
            ],
        ),
        (
            "Territory management",
            "Plans time and effort across accounts by potential.",
            [
                "Works whatever account called last.",
                "Has a plan but rarely follows it.",
                "Allocates time by account potential and reviews it quarterly.",
                "Balances growth, retention and new logos; adjusts from results.",
                "Territory plan is the team's model.",
            ],
        ),
        (
            "Product knowledge",
            "Knows our products, the market and the competition well enough to be trusted.",
            [
                "Needs help for most product questions.",
                "Handles common questions; escalates the rest.",
                "Demonstrates and answers confidently, including competitive questions.",
                "Anticipates technical objections and involves experts at the right time.",
                "Is the go-to expert colleagues call.",
            ],
        ),
        (
            "Relationship building",
            "Builds trust with several stakeholders in each account and with internal partners.",
            [
                "Relies on a single contact.",
                "Knows a few stakeholders, mostly at one level.",
                "Multi-threads key deals and keeps relationships warm between them.",
                "Has executive relationships that shape deals early.",
                "Is a trusted adviser customers ask for by name.",
            ],
        ),
    ],
)

MANAGER_FRAMEWORK = (
    "First-line manager essentials",
    "manager",
    "The five responsibilities of a first-line sales manager.",
    [
        (
            "Set territory strategy",
            "Turns business goals into territory plans and quotas sellers believe in.",
            [
                "Passes on quotas without a plan.",
                "Has territory plans on paper, rarely reviewed.",
                "Builds plans from goals, potential and past results; reviews them quarterly.",
                "Balances territories and adjusts from evidence, explaining each change.",
                "Territory design is a model for other managers.",
            ],
        ),
        (
            "Build the sales team",
            "Hires, develops and keeps the right people.",
            [
                "Fills seats with whoever is available.",
                "Hires to a profile; development is ad hoc.",
                "Assesses every seller and keeps a development plan current.",
                "Grows sellers into senior roles; regretted attrition is rare.",
                "Known as the manager people want to work for.",
            ],
        ),
        (
            "Raise the bar",
            "Sets stretching expectations and recognises progress.",
            [
                "Accepts the status quo.",
                "Sets targets but does not follow progress.",
                "Tracks progress weekly and raises expectations over time.",
                "Creates a culture where sellers set their own stretch goals.",
                "The team consistently exceeds what was thought possible.",
            ],
        ),
        (
            "Guide sales opportunities",
            "Coaches deals through the sales process rather than taking them over.",
            [
                "Inspects the forecast, does not coach deals.",
                "Reviews big deals, often by taking over.",
                "Runs regular deal reviews against the process and exit criteria.",
                "Sellers leave every review with a sharper strategy.",
                "Deal coaching visibly lifts the team's close ratio.",
            ],
        ),
        (
            "Build trusting relationships",
            "Earns trust with the team, customers and internal partners.",
            [
                "Relationships are transactional.",
                "Trusted by some of the team.",
                "Has candid 1:1s and keeps commitments.",
                "Brings partners and executives into deals at the right time.",
                "A trusted adviser to the team and the wider business.",
            ],
        ),
    ],
)

DEFAULT_FRAMEWORKS = (SELLER_FRAMEWORK, MANAGER_FRAMEWORK)


def install_default_frameworks(framework_model, competency_model, level_model) -> None:
    """Create the shipped frameworks unless a framework of the same name exists (models are passed
    in so that the data migration can use its historical ones)."""
    for name, audience, description, competencies in DEFAULT_FRAMEWORKS:
        if framework_model.objects.filter(name=name).exists():
            continue
        has_default = framework_model.objects.filter(audience=audience, is_default=True).exists()
        framework = framework_model.objects.create(
            name=name, audience=audience, description=description, is_default=not has_default
        )
        for order, (title, summary, levels) in enumerate(competencies, start=1):
            competency = competency_model.objects.create(
                framework=framework, name=title, description=summary, order=order
            )
            level_model.objects.bulk_create(
                level_model(competency=competency, level=level, behaviour=text)
                for level, text in enumerate(levels, start=1)
            )


def ensure_default_frameworks() -> None:
    """Install the shipped frameworks where they are missing (the demo, and test databases that
    were flushed after the data migration ran)."""
    from firstline.coaching.models import Competency, CompetencyFramework, CompetencyLevel

    install_default_frameworks(CompetencyFramework, Competency, CompetencyLevel)
