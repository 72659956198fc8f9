"""Name lists, including the awkward ones real rosters hold (accents, apostrophes, commas,
quotes, a leading "=" or "+") so every reader and writer downstream meets them early."""

from __future__ import annotations

import numpy as np

FIRST_F = (
    "Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper",
    "Evelyn", "Abigail", "Emily", "Ella", "Elizabeth", "Camila", "Luna", "Sofia", "Avery",
    "Mila", "Aria", "Scarlett", "Penelope", "Layla", "Chloe", "Victoria", "Madison", "Eleanor",
    "Grace", "Nora", "Riley", "Zoey", "Hannah", "Hazel", "Lily", "Ellie", "Violet", "Lillian",
    "Zoë", "Renée", "Maria", "Aaliyah", "Brooklyn", "Paisley", "Savannah", "Kinsley", "Naomi",
    "Addison", "Aubrey", "Stella", "Natalie", "Leah", "Ximena", "Jazmín", "Anaïs", "Mei",
)
FIRST_M = (
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry",
    "Theodore", "Jack", "Levi", "Alexander", "Jackson", "Mateo", "Daniel", "Michael", "Mason",
    "Sebastian", "Ethan", "Logan", "Owen", "Samuel", "Jacob", "Asher", "Aiden", "John",
    "Joseph", "Wyatt", "David", "Leo", "Luke", "Julian", "Hudson", "Grayson", "Matthew",
    "Ezra", "Gabriel", "Carter", "Isaac", "Jayden", "Óscar", "José", "Andrés", "Jamal",
    "DeShawn", "Tyrone", "Cody", "Bryce", "Colton", "Hunter", "Wei", "Ahmed", "Dmitri", "Nguyen",
)
LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gómez", "Phillips", "Evans",
    "Turner", "Díaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed", "Bailey", "Bell",
    "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett",
    "Gray", "James", "Hughes", "Price", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "O'Neil", "O'Brien", "D'Angelo", "McCoy", "Müller", "Sauer", "Çelik", "Nuñez", "Pérez-Ortiz",
    "Van der Berg", "St. John", "Le", "Wójcik", "Hoang", "Begay", "Yazzie", "Abdullah",
)
MIDDLE = ("Ann", "Marie", "Lee", "Lynn", "James", "Ray", "Grace", "Michael", "Rose", "Jo",
          "Elizabeth", "Alan", "Mae", "Jean")
# written on a few people: a comma, a quote, formula-looking text
TRICKY_LAST = ('Smith, Jr.', 'Ramírez "Ray"', "=Cole", "+Hart", 'Lee, "Bo"', "Ó'Súilleabháin")
TRICKY_FIRST = ('Robert "Bobby"', "Anne, Marie", "=Jo", "+Kai", "Zoë", "Óscar")


def draw_names(rng: np.random.Generator, n: int, female: np.ndarray, tricky_rate: float,
               force_tricky: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Last, first, middle names for `n` people (object arrays, middle may be None)."""
    last = np.asarray(LAST, dtype=object)[rng.integers(0, len(LAST), n)]
    ff = np.asarray(FIRST_F, dtype=object)[rng.integers(0, len(FIRST_F), n)]
    fm = np.asarray(FIRST_M, dtype=object)[rng.integers(0, len(FIRST_M), n)]
    first = np.where(female, ff, fm)
    mid = np.asarray(MIDDLE, dtype=object)[rng.integers(0, len(MIDDLE), n)]
    middle = np.where(rng.random(n) < 0.65, mid, None)
    tl = rng.random(n) < tricky_rate
    last[tl] = np.asarray(TRICKY_LAST, dtype=object)[rng.integers(0, len(TRICKY_LAST), tl.sum())]
    tf = rng.random(n) < tricky_rate
    first[tf] = np.asarray(TRICKY_FIRST, dtype=object)[
        rng.integers(0, len(TRICKY_FIRST), tf.sum())]
    if force_tricky:  # the first school shows every awkward name (the bundled sample needs them)
        k = min(n, len(TRICKY_LAST))
        last[:k] = TRICKY_LAST[:k]
        k = min(n, len(TRICKY_FIRST))
        first[n - k:] = TRICKY_FIRST[:k]
    return last, first, middle
