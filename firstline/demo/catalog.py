"""The fixed material the demo company is built from: names, places, products, the sales process.

Plain data, so the generator stays deterministic and needs no Faker.
"""

from dataclasses import dataclass

from firstline.pipeline.models import Outcome, Segment

COMPANY_NAME = "Northwind Analytics"
EMAIL_DOMAIN = "northwind-analytics.example"
DEMO_PASSWORD = "firstline-demo"


@dataclass(frozen=True)
class City:
    name: str
    country: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Region:
    name: str
    cities: tuple[City, ...]


def _listed(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.replace("\n", " ").split(",") if item.strip())


def _regions(table: str) -> tuple[Region, ...]:
    """Regions from lines of "region | city | country | latitude | longitude", in order of appearance."""
    cities: dict[str, list[City]] = {}
    for line in table.strip().splitlines():
        region, name, country, latitude, longitude = (part.strip() for part in line.split("|"))
        cities.setdefault(region, []).append(City(name, country, float(latitude), float(longitude)))
    return tuple(Region(name, tuple(rows)) for name, rows in cities.items())


FIRST_NAMES = _listed("""
James, Mary, Robert, Patricia, John, Jennifer, Michael, Linda, David, Elizabeth, William, Barbara,
Richard, Susan, Joseph, Jessica, Thomas, Sarah, Christopher, Karen, Daniel, Lisa, Matthew, Nancy,
Anthony, Sandra, Mark, Ashley, Steven, Emily, Andrew, Michelle, Joshua, Amanda, Kevin, Melissa, Brian,
Stephanie, Ryan, Rebecca, Jacob, Laura, Nicholas, Hannah, Eric, Olivia, Jonathan, Emma, Samuel, Sophia,
Benjamin, Grace, Lucas, Chloe, Ethan, Zoe, Nathan, Maya, Aaron, Priya, Raj, Anika, Arjun, Mei, Wei,
Yuki, Hiroshi, Kenji, Sakura, Ji-woo, Min-jun, Fatima, Omar, Layla, Youssef, Amara, Kwame, Chiamaka,
Tunde, Zanele, Sipho, Lucía, Mateo, Sofía, Diego, Valentina, Camila, Santiago, Gabriela, João, Ana,
Pedro, Inês, Lars, Ingrid, Sven, Astrid, Mikael, Freya, Noah, Liam, Elena, Marco, Giulia, Luca, Chiara,
Pierre, Camille, Julien, Léa, Hugo, Manon, Klaus, Anna, Lukas, Greta, Felix, Aisha, Hamza, Nadia, Ravi,
Deepa, Sanjay, Kavya, Tomasz, Agnieszka, Piotr, Olga, Dmitri, Irina, Siobhan, Declan, Niamh, Connor,
Aoife
""")
LAST_NAMES = _listed("""
Smith, Johnson, Williams, Brown, Jones, Garcia, Miller, Davis, Rodriguez, Martinez, Hernandez, Lopez,
Gonzalez, Wilson, Anderson, Thomas, Taylor, Moore, Jackson, Martin, Lee, Perez, Thompson, White, Harris,
Sanchez, Clark, Ramirez, Lewis, Robinson, Walker, Young, Allen, King, Wright, Scott, Torres, Nguyen,
Hill, Flores, Green, Adams, Nelson, Baker, Hall, Rivera, Campbell, Mitchell, Carter, Roberts, Patel,
Shah, Gupta, Singh, Kumar, Chen, Wang, Li, Zhang, Liu, Tanaka, Sato, Suzuki, Kim, Park, Choi, Okafor,
Adeyemi, Mensah, Nkosi, Haddad, Khalil, Rahman, Hussain, Silva, Santos, Costa, Oliveira, Pereira,
Fernández, Müller, Schmidt, Schneider, Fischer, Weber, Becker, Hoffmann, Rossi, Russo, Bianchi, Romano,
Dubois, Laurent, Moreau, Lefèvre, Bernard, Jansen, de Vries, Bakker, Visser, Johansson, Andersson,
Nilsson, Larsen, Hansen, Nielsen, Kowalski, Nowak, Novak, Ivanov, Petrov, O'Brien, Murphy, Kelly, Byrne,
Walsh, Bennett, Brooks, Hughes, Foster, Reed, Hayes, Price, Sullivan, Fraser
""")

# Ordered so that a small company is North American and a large one spreads round the world.
REGIONS = _regions("""
East                    | New York       | US |  40.7128 |  -74.0060
East                    | Boston         | US |  42.3601 |  -71.0589
East                    | Philadelphia   | US |  39.9526 |  -75.1652
East                    | Washington     | US |  38.9072 |  -77.0369
East                    | Atlanta        | US |  33.7490 |  -84.3880
East                    | Charlotte      | US |  35.2271 |  -80.8431
East                    | Pittsburgh     | US |  40.4406 |  -79.9959
East                    | Miami          | US |  25.7617 |  -80.1918
Central                 | Chicago        | US |  41.8781 |  -87.6298
Central                 | Dallas         | US |  32.7767 |  -96.7970
Central                 | Houston        | US |  29.7604 |  -95.3698
Central                 | Minneapolis    | US |  44.9778 |  -93.2650
Central                 | St. Louis      | US |  38.6270 |  -90.1994
Central                 | Detroit        | US |  42.3314 |  -83.0458
Central                 | Kansas City    | US |  39.0997 |  -94.5786
Central                 | Austin         | US |  30.2672 |  -97.7431
West                    | San Francisco  | US |  37.7749 | -122.4194
West                    | Los Angeles    | US |  34.0522 | -118.2437
West                    | Seattle        | US |  47.6062 | -122.3321
West                    | Denver         | US |  39.7392 | -104.9903
West                    | Phoenix        | US |  33.4484 | -112.0740
West                    | Portland       | US |  45.5152 | -122.6784
West                    | San Diego      | US |  32.7157 | -117.1611
West                    | Salt Lake City | US |  40.7608 | -111.8910
South                   | Nashville      | US |  36.1627 |  -86.7816
South                   | Raleigh        | US |  35.7796 |  -78.6382
South                   | Orlando        | US |  28.5383 |  -81.3792
South                   | Tampa          | US |  27.9506 |  -82.4572
South                   | New Orleans    | US |  29.9511 |  -90.0715
South                   | San Antonio    | US |  29.4241 |  -98.4936
Canada                  | Toronto        | CA |  43.6532 |  -79.3832
Canada                  | Montreal       | CA |  45.5017 |  -73.5673
Canada                  | Vancouver      | CA |  49.2827 | -123.1207
Canada                  | Calgary        | CA |  51.0447 | -114.0719
Canada                  | Ottawa         | CA |  45.4215 |  -75.6972
UK & Ireland            | London         | GB |  51.5074 |   -0.1278
UK & Ireland            | Manchester     | GB |  53.4808 |   -2.2426
UK & Ireland            | Birmingham     | GB |  52.4862 |   -1.8904
UK & Ireland            | Edinburgh      | GB |  55.9533 |   -3.1883
UK & Ireland            | Leeds          | GB |  53.8008 |   -1.5491
UK & Ireland            | Dublin         | IE |  53.3498 |   -6.2603
DACH                    | Berlin         | DE |  52.5200 |   13.4050
DACH                    | Munich         | DE |  48.1351 |   11.5820
DACH                    | Hamburg        | DE |  53.5511 |    9.9937
DACH                    | Frankfurt      | DE |  50.1109 |    8.6821
DACH                    | Zurich         | CH |  47.3769 |    8.5417
DACH                    | Vienna         | AT |  48.2082 |   16.3738
France & Benelux        | Paris          | FR |  48.8566 |    2.3522
France & Benelux        | Lyon           | FR |  45.7640 |    4.8357
France & Benelux        | Amsterdam      | NL |  52.3676 |    4.9041
France & Benelux        | Rotterdam      | NL |  51.9244 |    4.4777
France & Benelux        | Brussels       | BE |  50.8503 |    4.3517
France & Benelux        | Luxembourg     | LU |  49.6116 |    6.1319
Nordics                 | Stockholm      | SE |  59.3293 |   18.0686
Nordics                 | Gothenburg     | SE |  57.7089 |   11.9746
Nordics                 | Copenhagen     | DK |  55.6761 |   12.5683
Nordics                 | Oslo           | NO |  59.9139 |   10.7522
Nordics                 | Helsinki       | FI |  60.1699 |   24.9384
Southern Europe         | Madrid         | ES |  40.4168 |   -3.7038
Southern Europe         | Barcelona      | ES |  41.3851 |    2.1734
Southern Europe         | Milan          | IT |  45.4642 |    9.1900
Southern Europe         | Rome           | IT |  41.9028 |   12.4964
Southern Europe         | Lisbon         | PT |  38.7223 |   -9.1393
Middle East & Africa    | Dubai          | AE |  25.2048 |   55.2708
Middle East & Africa    | Riyadh         | SA |  24.7136 |   46.6753
Middle East & Africa    | Tel Aviv       | IL |  32.0853 |   34.7818
Middle East & Africa    | Johannesburg   | ZA | -26.2041 |   28.0473
Middle East & Africa    | Cape Town      | ZA | -33.9249 |   18.4241
India                   | Mumbai         | IN |  19.0760 |   72.8777
India                   | Bengaluru      | IN |  12.9716 |   77.5946
India                   | Delhi          | IN |  28.7041 |   77.1025
India                   | Hyderabad      | IN |  17.3850 |   78.4867
India                   | Pune           | IN |  18.5204 |   73.8567
Southeast Asia          | Singapore      | SG |   1.3521 |  103.8198
Southeast Asia          | Kuala Lumpur   | MY |   3.1390 |  101.6869
Southeast Asia          | Bangkok        | TH |  13.7563 |  100.5018
Southeast Asia          | Jakarta        | ID |  -6.2088 |  106.8456
Southeast Asia          | Manila         | PH |  14.5995 |  120.9842
Japan                   | Tokyo          | JP |  35.6762 |  139.6503
Japan                   | Osaka          | JP |  34.6937 |  135.5023
Japan                   | Nagoya         | JP |  35.1815 |  136.9066
Japan                   | Fukuoka        | JP |  33.5904 |  130.4017
Australia & New Zealand | Sydney         | AU | -33.8688 |  151.2093
Australia & New Zealand | Melbourne      | AU | -37.8136 |  144.9631
Australia & New Zealand | Brisbane       | AU | -27.4698 |  153.0251
Australia & New Zealand | Perth          | AU | -31.9505 |  115.8605
Australia & New Zealand | Auckland       | NZ | -36.8485 |  174.7633
Latin America           | São Paulo      | BR | -23.5505 |  -46.6333
Latin America           | Mexico City    | MX |  19.4326 |  -99.1332
Latin America           | Bogotá         | CO |   4.7110 |  -74.0721
Latin America           | Santiago       | CL | -33.4489 |  -70.6693
Latin America           | Buenos Aires   | AR | -34.6037 |  -58.3816
""")


@dataclass(frozen=True)
class Focus:
    """What a first-line team sells to: its name, seller titles and the mix of account segments."""

    name: str
    seller_title: str
    segment_weights: tuple[float, float, float]  # enterprise, mid-market, small business


FOCUSES = (
    Focus("Enterprise", "Enterprise Account Executive", (0.70, 0.25, 0.05)),
    Focus("Mid-Market", "Account Executive", (0.15, 0.70, 0.15)),
    Focus("Commercial", "Account Executive, Commercial", (0.02, 0.28, 0.70)),
)

SEGMENTS = (Segment.ENTERPRISE, Segment.MID_MARKET, Segment.SMALL_BUSINESS)
# Per segment: median market potential, median deal size, median sales cycle in days, win-rate factor.
POTENTIAL_MEDIAN = (2_500_000, 450_000, 70_000)
DEAL_MEDIAN = (120_000, 38_000, 11_000)
CYCLE_MEDIAN_DAYS = (120, 70, 35)
WIN_FACTOR = (0.85, 1.0, 1.15)

INDUSTRIES = {
    "Financial Services": ("Capital", "Financial", "Bancorp", "Trust", "Credit Union", "Asset Management"),
    "Healthcare": ("Health", "Medical", "Clinics", "Care Partners", "Hospital Group"),
    "Manufacturing": ("Manufacturing", "Industries", "Machining", "Components", "Fabrication"),
    "Retail": ("Retail", "Outfitters", "Markets", "Stores", "Home Goods"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Distribution", "Transport"),
    "Energy": ("Energy", "Power", "Renewables", "Utilities", "Solar"),
    "Telecommunications": ("Telecom", "Networks", "Communications", "Wireless"),
    "Software": ("Software", "Systems", "Labs", "Technologies", "Digital"),
    "Insurance": ("Insurance", "Mutual", "Assurance", "Underwriters"),
    "Education": ("University", "Learning", "Academy", "Education Trust"),
    "Public Sector": ("County", "Municipal Services", "Transit Authority", "Water District"),
    "Media": ("Media", "Publishing", "Studios", "Broadcasting"),
    "Pharmaceuticals": ("Pharma", "Biosciences", "Therapeutics", "Life Sciences"),
    "Hospitality": ("Hotels", "Resorts", "Hospitality", "Restaurants"),
}
NAME_STEMS = _listed("""
Blue, Silver, Red, Granite, North, Bright, Clear, Iron, Golden, Green, Stone, Oak, Pine, Cedar, River,
Lake, Harbor, Summit, Prairie, Maple, Falcon, Eagle, Copper, Crystal, Sun, Star, West, East, High, Fair,
Elm, Willow, Birch, Ash, Spring, Frost, Cobalt, Amber, Meadow, Hawk
""")
NAME_ENDINGS = _listed("""
field, bridge, water, stone, gate, point, ridge, wood, brook, view, haven, ford, line, crest, port, vale,
mont, wick, shore, dale
""")
LEGAL_FORMS = ("", "", "", " Inc.", " Group", " LLC", " Holdings", " Partners", " Co.", " Ltd")


@dataclass(frozen=True)
class ProductSpec:
    name: str
    code: str
    family: str
    size_factor: float  # deal size relative to a platform deal
    weight: float  # how often it is sold


PRODUCTS = (
    ProductSpec("Insight Cloud", "NW-IC", "Platform", 1.0, 0.30),
    ProductSpec("Insight Embedded", "NW-IE", "Platform", 0.8, 0.12),
    ProductSpec("Forecast Studio", "NW-FS", "Applications", 0.6, 0.18),
    ProductSpec("Governance Suite", "NW-GS", "Applications", 0.5, 0.12),
    ProductSpec("Pipeline Connectors", "NW-PC", "Data integration", 0.35, 0.12),
    ProductSpec("Premium Support", "NW-PS", "Services", 0.2, 0.08),
    ProductSpec("Onboarding Services", "NW-OS", "Services", 0.15, 0.08),
)
DEAL_MOTIONS = ("new business", "new business", "expansion", "expansion", "renewal", "upgrade", "pilot")


@dataclass(frozen=True)
class StageSpec:
    name: str
    probability: int
    outcome: str
    exit_criteria: str


OPEN_STAGES = (
    StageSpec(
        "Prospect", 10, Outcome.OPEN, "A named contact has confirmed a business problem worth a meeting."
    ),
    StageSpec(
        "Qualify", 20, Outcome.OPEN, "Budget, authority, need and timing are confirmed; a champion is named."
    ),
    StageSpec(
        "Develop", 40, Outcome.OPEN, "The buying group has seen the solution fit and agreed success criteria."
    ),
    StageSpec(
        "Propose", 60, Outcome.OPEN, "A priced proposal is delivered and the economic buyer has reviewed it."
    ),
    StageSpec("Negotiate", 80, Outcome.OPEN, "Terms are agreed in principle and the signing path is known."),
)
WON_STAGE = StageSpec("Closed Won", 100, Outcome.WON, "The order form is signed.")
LOST_STAGE = StageSpec(
    "Closed Lost", 0, Outcome.LOST, "The customer chose not to buy; the loss reason is recorded."
)

# Lost deals mostly die early in the process.
LOST_AT_STAGE_WEIGHTS = (0.22, 0.30, 0.22, 0.16, 0.10)
LOSS_REASONS = (
    ("Lost to competitor", 0.32),
    ("No decision", 0.22),
    ("Price", 0.16),
    ("Budget cut", 0.10),
    ("Timing", 0.10),
    ("Missing capability", 0.06),
    ("Champion left", 0.04),
)
COMPETITORS = ("Contoso BI", "Fabrikam Analytics", "Litware Insights", "Tailspin Data", "Adatum Metrics")
NO_DECISION_COMPETITOR = "Status quo"

CONTACTS = ("the CFO", "the COO", "the Head of Data", "the VP Finance", "the IT director", "procurement")
NEXT_STEPS = (
    ("Book a discovery call with {contact}", "Send the intro deck to {contact}", "Follow up on the webinar"),
    ("Confirm budget with {contact}", "Map the buying group", "Qualification call with {contact}"),
    ("Tailored demo for the analytics team", "Agree pilot success criteria", "Technical deep-dive with IT"),
    ("Walk {contact} through the proposal", "Send revised pricing", "Answer the security questionnaire"),
    (
        "Legal redlines back from procurement",
        "Final pricing call with {contact}",
        "Order form out for signature",
    ),
)
