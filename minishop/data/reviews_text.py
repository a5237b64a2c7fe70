"""Review text for the bundled shop: wording that follows the star rating, where word ORDER matters.

Real reviews are not one fixed sentence per star. Neighbouring ratings share their words ("works well" in a
4 and a 5, "it's okay" in a 2, a 3 and a 4), a verdict often comes after a turn ("the colour looks lovely,
but the plastic feels flimsy"), and negation flips a word ("it never feels flimsy"). A review here takes one
of four forms (the ground truth of each review is written to review_truth.csv, see data/README.md):

- plain (ratings 1-5): a verdict sentence from phrase banks shared by neighbouring ratings, and a remark on
  a true attribute (colour, material, size, price, brand) whose tone follows the rating;
- contrast (ratings 2 and 4): two opposite clauses joined by a turn. The verdict is the clause after "but",
  the main clause of "although" and the clause before "even though": 2 = "good, but bad", 4 = "bad, but
  good". Both clauses come from the same bank, so a 2 and a 4 use the same words and only their order
  differs. Each clause starts and ends with words that carry no tone (its tone word sits in the middle),
  so even the word pairs across the turn ("hand, but", "but the") are the same for both verdicts;
- negated (ratings 2 and 4): one clause with a negation that is never next to the tone word ("the plastic
  never feels flimsy" -> 4, "it does not do a great job" -> 2). "feels flimsy" also occurs un-negated, so
  neither the words nor the word pairs tell the verdict: only reading "never" before "feels flimsy" does;
- balanced (rating 3): one good and one bad clause joined by "and", in either order.

Contrast and negated reviews get only neutral extra sentences (context, delivery on time), so the order
of their words is the only evidence. In 4% of the reviews the wording was written for another rating
(label noise, as when a shopper clicks the wrong star), and about one in twenty adds an unrelated remark.
"""

from dataclasses import dataclass

NOISE_RATE = 0.04  # the text is written for another rating than the one given
FORMS = {  # rating -> (form, probability)
    1: (("plain", 1.0),),
    2: (("contrast", 0.5), ("negated", 0.2), ("plain", 0.3)),
    3: (("balanced", 0.4), ("plain", 0.6)),
    4: (("contrast", 0.5), ("negated", 0.2), ("plain", 0.3)),
    5: (("plain", 1.0),),
}

# ---- clauses: (plain, negated, positive words, negative words); the tone word never touches an end ----
CLAUSES = (
    ("the {colour} colour looks {word} in person", "the {colour} colour never looks {word} in person",
     ("lovely", "classy", "great"), ("dull", "cheap", "tacky")),
    ("the {material} feels {word} in the hand", "the {material} never feels {word} in the hand",
     ("solid", "sturdy", "premium"), ("flimsy", "cheap", "fragile")),
    ("the {size} is a {word} fit for me", "the {size} is not a {word} fit for me",
     ("good", "perfect"), ("poor", "bad")),
    ("it does a {word} job", "it does not do a {word} job", ("great", "good", "fine"), ("poor", "bad", "lousy")),
    ("it is really {word} value for {price} euros", "it is not really {word} value for {price} euros",
     ("great", "good"), ("poor", "bad")),
    ("the build quality seems {word} for a {brand} product", "the build quality never seems {word} for a {brand} product",
     ("excellent", "solid"), ("shoddy", "poor")),
    ("my {person} finds it {word} to use", "my {person} never finds it {word} to use",
     ("easy", "simple"), ("awkward", "tricky")),
)
TURNS = (  # (sentence, which clause is the verdict)
    ("{a}, but {b}.", "b"),
    ("Although {a}, {b}.", "b"),
    ("{a}, even though {b}.", "a"),
)

# ---- plain verdicts: banks shared by neighbouring ratings ----
_BANKS = {
    "very good": ("Excellent {noun}, I love it.", "Perfect, exactly what I wanted.", "The best {noun} I have owned.",
                  "Outstanding quality, highly recommended.", "Never disappointing, {brand} did it again."),
    "good": ("Works well.", "A good {noun}, I am happy with it.", "Would buy again.", "Does what it says.",
             "Nice {noun} from {brand}."),
    "okay": ("It's okay.", "Does the job.", "An average {noun}.", "Fine for the price.", "Nothing special."),
    "bad": ("Not what I hoped for.", "I expected more.", "Poor quality for a {brand} product.",
            "Disappointing {noun}.", "Not great at all."),
    "very bad": ("Terrible {noun}, I regret buying it.", "Do not buy this {noun}.", "It broke after two days.",
                 "Worst purchase I made this year.", "Completely useless, one star is too many."),
}
_VERDICT_BANKS = {  # rating -> (bank, probability)
    1: (("very bad", 0.6), ("bad", 0.4)),
    2: (("bad", 0.7), ("okay", 0.3)),
    3: (("okay", 0.7), ("good", 0.15), ("bad", 0.15)),
    4: (("good", 0.7), ("okay", 0.3)),
    5: (("very good", 0.6), ("good", 0.4)),
}
_NEUTRAL_REMARKS = ("It is {colour}, as described.", "The {material} is as expected.", "It is {size}, as listed.")
_EXTRAS = {
    "positive": ("Delivery was fast.", "My {person} uses it every day.", "I bought a second one as a gift."),
    "negative": ("Delivery took two weeks.", "Customer service never answered.", "I am sending it back."),
    "neutral": ("Delivery was on time.", "We will see how it lasts.", "It came in a plain box."),
}
_OPENERS = ("Mixed feelings about this {noun}.", "Where to start with this {noun}.", "A quick review.")
_CONTEXT = ("I have used it for {weeks} weeks now.", "Bought it for my {person}.", "We use it every {when}.",
            "I compared it with a {other} one before buying.", "This replaces my old {noun}.",
            "Ordered on a {day} and it arrived {delivery}.")
_PERSONS = ("son", "daughter", "partner", "mother", "father", "flatmate", "colleague", "grandmother")
_WHENS = ("day", "weekend", "morning", "evening", "week")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DELIVERY = ("the next day", "two days later", "within a week", "late", "on time")
_OTHERS = ("Voltra", "Nordhaus", "Kestrel", "Lumina", "Orbit", "cheaper", "more expensive", "second-hand")
_NOISE = ("I ordered it together with other things.", "My cat likes the box more.", "Bought it during the sale.")


@dataclass
class ReviewText:
    """A review's words and their ground truth: the rating the words were written for, the form and the turn."""

    text: str
    text_rating: int  # differs from the given rating in the noisy reviews
    form: str  # plain, contrast, negated or balanced
    turn: str = ""  # "but", "although" or "even though" in contrast reviews


def sentiment(rating):
    """negative (1-2 stars), neutral (3) or positive (4-5)."""
    return "positive" if rating >= 4 else "negative" if rating <= 2 else "neutral"


def _pick(rand, weighted):
    names, weights = zip(*weighted)
    return rand.choices(names, weights=weights)[0]


def _clause(rand, template, positive, negated=False):
    """A clause of `template` whose words read positive or negative (before any negation)."""
    plain, negation, good, bad = template
    word = rand.choice(good if positive else bad)
    return (negation if negated else plain).replace("{word}", word)


def _capital(sentence):
    return sentence[0].upper() + sentence[1:]


def _core(rand, form, rating):
    """The sentences that carry the verdict, and the turn word of a contrast."""
    tone = sentiment(rating)
    if form == "plain":
        verdict = rand.choice(_BANKS[_pick(rand, _VERDICT_BANKS[rating])])
        if tone == "neutral":
            return [verdict, rand.choice(_NEUTRAL_REMARKS)], ""
        return [verdict, _capital(_clause(rand, rand.choice(CLAUSES), tone == "positive")) + "."], ""
    first, second = rand.sample(CLAUSES, 2)
    if form == "negated":  # "never feels flimsy" reads positive: the clause's words say the opposite
        return [_capital(_clause(rand, first, tone == "negative", negated=True)) + "."], ""
    if form == "balanced":
        good_first = rand.random() < 0.5
        a, b = _clause(rand, first, good_first), _clause(rand, second, not good_first)
        return [_capital(f"{a}, and {b}.")], ""
    sentence, verdict = rand.choice(TURNS)  # contrast
    a = _clause(rand, first, (tone == "positive") == (verdict == "a"))
    b = _clause(rand, second, (tone == "positive") == (verdict == "b"))
    turn = "but" if ", but" in sentence else "although" if "Although" in sentence else "even though"
    return [_capital(sentence.format(a=a, b=b))], turn


def review_text(rand, product, rating):
    """A ReviewText for a `rating`-star review of `product`, drawn with the generator `rand`."""
    text_rating = rating
    if rand.random() < NOISE_RATE:
        text_rating = rand.choice([r for r in range(1, 6) if r != rating])
    form = _pick(rand, FORMS[text_rating])
    size = product.size if product.size.endswith("size") else f"{product.size} size"
    values = {"noun": product.noun, "brand": product.brand, "colour": product.colour, "size": size,
              "material": product.material, "price": f"{product.price:.0f}", "weeks": rand.randint(1, 30),
              "person": rand.choice(_PERSONS), "when": rand.choice(_WHENS), "other": rand.choice(_OTHERS),
              "day": rand.choice(_DAYS), "delivery": rand.choice(_DELIVERY)}
    sentences, turn = _core(rand, form, text_rating)
    tone = sentiment(text_rating) if form in ("plain", "balanced") else "neutral"  # order-only forms stay neutral
    if form != "plain" and rand.random() < 0.3:
        sentences.insert(0, rand.choice(_OPENERS))
    if rand.random() < 0.4:
        sentences.append(rand.choice(_CONTEXT))
    if rand.random() < 0.4:
        sentences.append(rand.choice(_EXTRAS[tone]))
    if rand.random() < 0.05:
        sentences.append(rand.choice(_NOISE))
    return ReviewText(" ".join(s.format(**values) for s in sentences), text_rating, form, turn)

