"""Review text for the bundled shop: the words follow the star rating and the product's real attributes.

A review is two to four sentences: a verdict whose tone matches the rating, a remark about one true attribute
(colour, material, size, price), and sometimes a remark about use or delivery. About one review in twenty
mentions something unrelated or mixed (noise), as real reviews do.
"""

_VERDICTS = {
    1: ("Terrible {noun}, I regret buying it.", "Do not buy this {noun}.", "It broke after two days.",
        "Worst purchase I made this year.", "Completely useless, one star is too many."),
    2: ("Disappointing {noun}.", "Not great, not what I expected.", "The {noun} works, but only just.",
        "I expected more for the money.", "Poor quality for a {brand} product."),
    3: ("An average {noun}.", "It is okay, nothing special.", "Does the job, with a few flaws.",
        "Decent {noun} but I have seen better.", "Fine for the price."),
    4: ("A good {noun}, I am happy with it.", "Solid {noun}, would buy again.", "Works well, minor quibbles.",
        "Nice {noun} from {brand}.", "Very good value."),
    5: ("Excellent {noun}, I love it!", "Perfect, exactly what I wanted.", "The best {noun} I have owned.",
        "Five stars, {brand} did it again.", "Outstanding quality, highly recommended."),
}
_ATTRIBUTE_REMARKS = {
    "good": ("The {colour} colour looks even better than in the photos.", "The {material} feels sturdy.",
             "The {size} size is just right.", "Worth every one of the {price} euros."),
    "bad": ("The {colour} colour looks cheap in person.", "The {material} feels flimsy.",
            "The {size} size is not what I needed.", "Not worth {price} euros."),
    "neutral": ("It is {colour}, as described.", "The {material} is as expected.", "It is {size}, as listed."),
}
_EXTRAS = {
    "good": ("Delivery was fast.", "My partner uses it every day.", "I bought a second one as a gift."),
    "bad": ("Delivery took two weeks.", "Customer service never answered.", "I am sending it back."),
    "neutral": ("Delivery was on time.", "We will see how it lasts.", "")
}
_CONTEXT = ("I have used it for {weeks} weeks now.", "Bought it for my {person}.", "We use it every {when}.",
            "I compared it with a {other} one before buying.", "This replaces my old {noun}.",
            "Ordered on a {day} and it arrived {delivery}.")
_PERSONS = ("son", "daughter", "partner", "mother", "father", "flatmate", "colleague", "grandmother")
_WHENS = ("day", "weekend", "morning", "evening", "week")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DELIVERY = ("the next day", "two days later", "within a week", "late", "on time")
_OTHERS = ("Voltra", "Nordhaus", "Kestrel", "Lumina", "Orbit", "cheaper", "more expensive", "second-hand")
_NOISE = ("I ordered it together with other things.", "My cat likes the box more.", "Bought it during the sale.")


def _tone(rating):
    return "good" if rating >= 4 else "bad" if rating <= 2 else "neutral"


def review_text(rand, product, rating):
    """Two to four sentences for a `rating`-star review of `product`, drawn with the generator `rand`."""
    values = {"noun": product.noun, "brand": product.brand, "colour": product.colour, "size": product.size,
              "material": product.material, "price": f"{product.price:.0f}", "weeks": rand.randint(1, 30),
              "person": rand.choice(_PERSONS), "when": rand.choice(_WHENS), "other": rand.choice(_OTHERS),
              "day": rand.choice(_DAYS), "delivery": rand.choice(_DELIVERY)}
    tone = _tone(rating)
    sentences = [rand.choice(_VERDICTS[rating]), rand.choice(_ATTRIBUTE_REMARKS[tone])]
    if rand.random() < 0.5:
        sentences.append(rand.choice(_EXTRAS[tone]))
    if rand.random() < 0.5:
        sentences.insert(1, rand.choice(_CONTEXT))
    if rand.random() < 0.05:
        sentences.append(rand.choice(_NOISE))
    return " ".join(s.format(**values) for s in sentences if s)
