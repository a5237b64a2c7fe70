"""The bundled shop's product catalog: a category tree, products, and their English text.

Every leaf category is one `Leaf` row in `LEAVES` below. A leaf says what its products are called, what they
cost, which attributes they have, whether they sell more in some months (seasonality), whether they are used up
and bought again (consumables, with a refill period in days), and which other leaves complement them (a phone is
followed by a case and a charger). The simulator in `synthetic.py` reads these facts; nothing else is hidden.

Titles and descriptions are assembled from phrase banks so that the catalog has enough varied text to train a
small BPE tokenizer and a small text language model, while every sentence stays true to the product's attributes.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Leaf:
    """One leaf of the category tree and the behaviour of its products."""

    path: str  # "electronics > phones"
    nouns: tuple  # what a product is called: ("smartphone", "phone")
    price: tuple  # (low, high) in euros
    features: tuple  # sentences about what this kind of product does
    peak_months: tuple = ()  # months (1-12) when it sells ~4x more; empty = no season
    refill_days: int = 0  # > 0: a consumable, bought again after about this many days
    complements: tuple = ()  # (leaf path, probability, min delay days, max delay days)
    compatible: bool = False  # True: each product is made for one product of the leaf that names it as complement


_ELECTRONIC = ("aluminium", "plastic", "glass", "recycled plastic")
_SOFT = ("cotton", "polyester", "wool", "nylon", "linen")

LEAVES = (
    Leaf("electronics > phones", ("smartphone", "phone"), (180, 900),
         ("The display is bright enough to read in direct sunlight.", "Its battery lasts a full day of heavy use.",
          "The camera takes sharp photos even in low light.", "Face unlock and a fingerprint reader keep it secure."),
         complements=(("electronics > phone cases", 0.7, 0, 3), ("electronics > chargers", 0.5, 4, 14))),
    Leaf("electronics > phone cases", ("phone case", "protective case", "case"), (9, 40),
         ("Raised edges protect the screen when the phone lands face down.", "It clicks on in seconds.",
          "Cut-outs line up exactly with the buttons and ports."), compatible=True),
    Leaf("electronics > chargers", ("fast charger", "charger", "wall charger"), (12, 45),
         ("It charges a phone to half in about thirty minutes.", "Overheat protection is built in.",
          "The cable is braided so it does not tangle."), compatible=True),
    Leaf("electronics > laptops", ("laptop", "notebook computer", "ultrabook"), (450, 1900),
         ("The keyboard is backlit and quiet.", "It boots in a few seconds from its solid state drive.",
          "The hinge opens a full one hundred and eighty degrees.", "Two fans keep it cool under load."),
         complements=(("electronics > laptop bags", 0.5, 0, 5), ("electronics > mice", 0.5, 1, 10))),
    Leaf("electronics > laptop bags", ("laptop bag", "laptop sleeve", "backpack"), (20, 90),
         ("A padded pocket holds the laptop safely.", "The shoulder strap is adjustable."), compatible=True),
    Leaf("electronics > mice", ("wireless mouse", "mouse", "ergonomic mouse"), (10, 70),
         ("It pairs over Bluetooth in seconds.", "The scroll wheel is smooth and precise."), compatible=True),
    Leaf("electronics > headphones", ("headphones", "earbuds", "headset"), (25, 350),
         ("Active noise cancelling blocks out the commute.", "The ear cushions stay comfortable for hours.",
          "A built-in microphone makes calls clear.")),
    Leaf("electronics > cameras", ("camera", "mirrorless camera", "action camera"), (150, 1400),
         ("It records video in 4K at thirty frames per second.", "The lens focuses quickly on moving subjects."),
         complements=(("electronics > memory cards", 0.7, 0, 4),)),
    Leaf("electronics > memory cards", ("memory card", "SD card", "microSD card"), (8, 60),
         ("It writes fast enough for continuous video.", "It survives water, shocks and X-rays."), compatible=True),
    Leaf("home > coffee makers", ("coffee maker", "espresso machine", "drip coffee machine"), (40, 600),
         ("It brews a full pot in under five minutes.", "The milk frother makes a fine foam.",
          "A timer starts the coffee before you wake up."),
         complements=(("grocery > coffee beans", 0.8, 0, 3),)),
    Leaf("grocery > coffee beans", ("coffee beans", "ground coffee", "espresso roast"), (6, 25),
         ("The beans are roasted in small batches.", "It has notes of chocolate and caramel.",
          "It is fair trade and organic."), refill_days=30),
    Leaf("home > heaters", ("heater", "oil radiator", "fan heater"), (30, 200),
         ("It warms a small room in minutes.", "A thermostat holds the temperature you set."),
         peak_months=(11, 12, 1, 2)),
    Leaf("home > fans", ("fan", "tower fan", "desk fan"), (15, 120),
         ("Three speeds and a quiet night mode.", "It oscillates to cool the whole room."),
         peak_months=(6, 7, 8)),
    Leaf("home > bedding", ("duvet cover", "bed sheet set", "pillow"), (15, 110),
         ("It is soft from the first wash.", "It breathes well on warm nights."), ),
    Leaf("beauty > razors", ("razor", "safety razor", "electric shaver"), (10, 150),
         ("The head pivots to follow every curve.", "It is easy to rinse clean."),
         complements=(("beauty > razor blades", 0.8, 0, 5),)),
    Leaf("beauty > razor blades", ("razor blades", "replacement blades", "blade refills"), (5, 30),
         ("Each blade stays sharp for weeks.", "A lubricating strip protects the skin."),
         refill_days=45, compatible=True),
    Leaf("beauty > shampoo", ("shampoo", "conditioner", "hair wash"), (4, 25),
         ("It cleans gently without drying the hair.", "It smells faintly of citrus."), refill_days=40),
    Leaf("beauty > sunscreen", ("sunscreen", "sun lotion", "sun spray"), (6, 30),
         ("It offers broad spectrum protection.", "It is water resistant for eighty minutes."),
         peak_months=(5, 6, 7, 8)),
    Leaf("sports > tennis rackets", ("tennis racket", "racket"), (30, 250),
         ("The frame is light and stiff for control.", "A large sweet spot forgives off-centre hits."),
         complements=(("sports > tennis balls", 0.7, 0, 4),), peak_months=(4, 5, 6, 7)),
    Leaf("sports > tennis balls", ("tennis balls", "pressurised balls"), (4, 15),
         ("They keep their bounce for many matches.", "The felt is durable on hard courts."), refill_days=50),
    Leaf("sports > running shoes", ("running shoes", "trail shoes", "trainers"), (50, 200),
         ("The sole cushions every stride.", "A breathable upper keeps the feet cool."),
         complements=(("sports > running socks", 0.5, 0, 7),)),
    Leaf("sports > running socks", ("running socks", "sport socks"), (5, 20),
         ("Seamless toes prevent blisters.", "They wick sweat away on long runs."), refill_days=90),
    Leaf("clothing > winter jackets", ("winter jacket", "parka", "down jacket"), (60, 350),
         ("It keeps you warm well below freezing.", "The hood is lined with soft fleece."),
         peak_months=(10, 11, 12, 1)),
    Leaf("clothing > swimwear", ("swimsuit", "swim shorts", "bikini"), (15, 70),
         ("It dries quickly in the sun.", "The fabric resists chlorine."), peak_months=(5, 6, 7)),
    Leaf("books > novels", ("novel", "paperback novel", "thriller"), (8, 25),
         ("The plot twists right to the last page.", "Critics called it the story of the year.",
          "It follows a family across three generations.")),
    Leaf("books > cookbooks", ("cookbook", "recipe book"), (12, 40),
         ("It collects one hundred simple weeknight recipes.", "Every recipe has a full page photo.")),
    Leaf("toys > building sets", ("building set", "construction kit", "brick set"), (15, 150),
         ("The pieces snap together firmly.", "Instructions guide children step by step."),
         peak_months=(11, 12)),
    Leaf("toys > board games", ("board game", "card game", "strategy game"), (12, 60),
         ("A game takes about forty minutes.", "It is fun for two to six players."), peak_months=(11, 12)),
    Leaf("pets > dog food", ("dog food", "dry dog food", "puppy food"), (12, 70),
         ("It is made with real chicken as the first ingredient.", "It supports healthy digestion."),
         refill_days=30),
    Leaf("pets > dog toys", ("dog toy", "chew toy", "rope toy"), (4, 25),
         ("It survives even strong chewers.", "It floats for games in the water.")),
    Leaf("office > printers", ("printer", "inkjet printer", "laser printer"), (60, 400),
         ("It prints on both sides automatically.", "It connects over wifi to phones and laptops."),
         complements=(("office > ink cartridges", 0.8, 0, 5),)),
    Leaf("office > ink cartridges", ("ink cartridge", "toner cartridge", "ink multipack"), (10, 60),
         ("It prints hundreds of pages per cartridge.", "The colours stay bright and do not smear."),
         refill_days=60, compatible=True),
)

BRANDS = ("Voltra", "Nordhaus", "Kestrel", "Lumina", "Bramble", "Orbit", "Saffron", "Tidewell", "Quill", "Ember",
          "Halcyon", "Juniper", "Maple & Co", "Zenith", "Corvid", "Pebble")
COLOURS = ("black", "white", "navy blue", "forest green", "red", "grey", "sand beige", "pink", "yellow", "silver")
SIZES = ("small", "medium", "large", "extra large", "compact", "family size")
MATERIALS = {"electronics": _ELECTRONIC, "home": _SOFT + ("steel",), "clothing": _SOFT, "sports": _SOFT + ("carbon",),
             "beauty": ("glass", "plastic", "bamboo"), "grocery": ("paper bag", "tin"), "books": ("paper",),
             "toys": ("wood", "plastic", "cardboard"), "pets": ("rubber", "cotton rope", "paper bag"),
             "office": ("plastic", "steel")}
MODEL_WORDS = ("Nova", "Aero", "Pulse", "Terra", "Flux", "Atlas", "Echo", "Swift", "Prime", "Vista", "Core", "Peak")

_OPENERS = ("Meet the {title}.", "The {title} is made for everyday use.", "Say hello to the {title}.",
            "Designed in {country}, the {title} keeps things simple.", "The {title} is one of our best sellers.",
            "Built to last, the {title} does one job very well.")
_ATTRIBUTE_LINES = ("It comes in {colour} and is made of {material}.", "This {size} {noun} is finished in {colour}.",
                    "The {material} body feels solid in the hand.", "Choose it in {colour}; the size is {size}.",
                    "Made of {material}, it is available in {size}.")
_USES = {
    "electronics": ("Perfect for commuting, travel and working from home.", "It pairs with your other devices "
                    "without fuss.", "Ideal for students and busy professionals."),
    "home": ("It fits neatly into a kitchen, bedroom or small flat.", "Easy to clean and easy to store.",
             "It makes everyday life at home a little nicer."),
    "grocery": ("Best enjoyed fresh; store it in a cool, dry place.", "Great for mornings and slow weekends."),
    "beauty": ("Suitable for sensitive skin.", "Dermatologically tested and free of parabens.",
               "Part of a simple daily routine."),
    "sports": ("Made for training sessions, matches and weekend outings.", "Trusted by club players and "
               "beginners alike.", "It handles rain, mud and long seasons."),
    "clothing": ("The cut is relaxed and true to size.", "Layer it over a jumper on colder days.",
                 "Machine washable at thirty degrees."),
    "books": ("A perfect read for a long train journey.", "Printed on acid-free paper.",
              "Book clubs will find plenty to talk about."),
    "toys": ("Recommended for ages six and up.", "It encourages creativity and patience.",
             "Tested to European toy safety standards."),
    "pets": ("Vets recommend it for dogs of all sizes.", "Your dog will love it from day one."),
    "office": ("It sets up in minutes with the included guide.", "Good for home offices and small teams."),
}
_SPECS = ("It weighs {grams} grams.", "Dimensions: {a} x {b} x {c} cm.", "Model number {code}.",
          "In the box: the {noun}, a quick start guide and {extra}.", "Rated {rating} out of 5 by our testers.")
_EXTRAS_IN_BOX = ("a cleaning cloth", "a storage pouch", "a spare part", "a gift card", "a USB cable", "stickers")
_CLOSERS = ("Ships within two working days.", "Covered by a two year warranty.", "Free returns within thirty days.",
            "A thoughtful gift for friends and family.", "Loved by thousands of customers.", "")
_COUNTRIES = ("Denmark", "Japan", "Italy", "Canada", "Germany", "Portugal", "Korea", "Sweden")


@dataclass
class Product:
    """One product of the catalog, with the true (clean) values of its attributes."""

    item_id: str
    leaf: Leaf
    brand: str
    title: str
    noun: str
    colour: str
    size: str
    material: str
    price: float
    description: str
    quality: float  # latent: how much people like it (drives ratings)
    popularity: float  # latent: relative weight within its leaf (long-tailed)
    made_for: str = ""  # item_id of the product it is compatible with ("" = any)
    unlisted: bool = False  # a product nobody ever interacts with (a planted "item with no events")
    extra: dict = field(default_factory=dict)


def _describe(rand, leaf, title, noun, colour, size, material):
    """A few sentences: opener, one or two feature lines, an attribute line, a closer."""
    sentences = [rand.choice(_OPENERS).format(title=title, country=rand.choice(_COUNTRIES))]
    sentences += rand.sample(leaf.features, k=min(len(leaf.features), rand.randint(1, 2)))
    sentences.append(rand.choice(_ATTRIBUTE_LINES).format(colour=colour, material=material, size=size, noun=noun))
    if rand.random() < 0.7:
        sentences.append(rand.choice(_USES[leaf.path.split(" > ")[0]]))
    if rand.random() < 0.6:
        sentences.append(rand.choice(_SPECS).format(
            grams=rand.randint(20, 4000), a=rand.randint(2, 60), b=rand.randint(2, 60), c=rand.randint(1, 30),
            code=f"{rand.choice('ABCDEFGHKMNPRSTXZ')}{rand.randint(100, 9999)}-{rand.randint(10, 99)}",
            noun=noun, extra=rand.choice(_EXTRAS_IN_BOX), rating=round(rand.uniform(3.5, 5.0), 1)))
    sentences.append(rand.choice(_CLOSERS))
    return " ".join(s for s in sentences if s)


def make_catalog(rand, n_per_leaf=(9, 16), unlisted_rate=0.03):
    """Products for every leaf, in a fixed order; compatible products point to the product they are made for."""
    products = []
    for leaf in LEAVES:
        top = leaf.path.split(" > ")[0]
        for rank in range(rand.randint(*n_per_leaf)):
            brand, noun = rand.choice(BRANDS), rand.choice(leaf.nouns)
            colour, size, material = rand.choice(COLOURS), rand.choice(SIZES), rand.choice(MATERIALS[top])
            model = f"{rand.choice(MODEL_WORDS)} {rand.choice('ABCDEFGHJKLMNPRSTVX')}{rand.randint(1, 9)}"
            title = f"{brand} {model} {noun.title() if noun.islower() else noun}"
            low, high = leaf.price
            price = round(low + (high - low) * rand.random() ** 1.5, 2)
            products.append(Product(
                item_id=f"P{len(products) + 1:04d}", leaf=leaf, brand=brand, title=title, noun=noun,
                colour=colour, size=size, material=material, price=price,
                description=_describe(rand, leaf, title, noun, colour, size, material),
                quality=rand.gauss(0.0, 0.8), popularity=1.0 / (rank + 1) ** 1.1,
                unlisted=rand.random() < unlisted_rate))
    _link_compatible(rand, products)
    return products


def _link_compatible(rand, products):
    """Make each compatible product (a case, blades, ink) fit one anchor product and say so in its title."""
    by_leaf = {}
    for product in products:
        by_leaf.setdefault(product.leaf.path, []).append(product)
    for anchor_leaf in LEAVES:
        for target_path, *_ in anchor_leaf.complements:
            targets = by_leaf[target_path]
            if not targets[0].leaf.compatible:
                continue
            anchors = [p for p in by_leaf[anchor_leaf.path] if not p.unlisted]
            for i, target in enumerate(targets):
                anchor = anchors[i % len(anchors)]
                target.made_for = anchor.item_id
                anchor_name = anchor.title.rsplit(" ", 1)[0]
                target.title = f"{target.title} for {anchor_name}"
                target.description = f"Made for the {anchor_name}. " + target.description


def compatible_with(products, anchor, target_path):
    """Products of leaf `target_path` that fit `anchor` (all of them when the leaf is not `compatible`)."""
    candidates = [p for p in products if p.leaf.path == target_path and not p.unlisted]
    fitting = [p for p in candidates if p.made_for == anchor.item_id]
    if candidates and candidates[0].leaf.compatible and fitting:
        return fitting
    return candidates  # not a compatible leaf, or nothing made for this anchor: any product of the leaf
