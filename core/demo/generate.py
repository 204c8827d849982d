"""Deterministic generators for demo people: names, mobile numbers, ID numbers, and fair shares.

Every generator draws from the `random.Random` it is given, so a step seeded the same way produces
the same rows on every machine. Other apps' demo steps use these too (forum authors, venue hosts).
"""

from __future__ import annotations

import datetime
import itertools
import random

from core.demo import names
from core.validators import id_check_digit


def id_number_is_valid(value: str) -> bool:
    return len(value) == 18 and value[:17].isdigit() and id_check_digit(value[:17]) == value[17].upper()


def apportion(total: int, weights: list[float], *, minimum: int = 1) -> list[int]:
    """Split `total` into integer shares proportional to `weights` (largest remainder), each ≥ minimum."""
    if not weights:
        return []
    rest = total - minimum * len(weights)
    if rest < 0:
        raise ValueError(f"cannot give {len(weights)} shares at least {minimum} each out of {total}")
    weight_sum = sum(weights) or 1.0
    quotas = [rest * w / weight_sum for w in weights]
    shares = [int(q) for q in quotas]
    leftover = rest - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_remainder[:leftover]:
        shares[i] += 1
    return [minimum + s for s in shares]


def generation_of(birth_year: int) -> str:
    """Which list of given names fits someone born in this year."""
    if birth_year < 1965:
        return "old"
    return "mid" if birth_year < 1990 else "young"


class PeopleMaker:
    """Names, mobiles and ID numbers that never repeat within one maker."""

    def __init__(self, rng: random.Random, *, used_mobiles: set[str] | None = None) -> None:
        self.rng = rng
        self.used_mobiles: set[str] = set(used_mobiles or ()) | {mobile for _, mobile in names.DEMO_PEOPLE.values()}
        self.used_ids: set[str] = set()
        self._surnames = [s for s, _ in names.SURNAMES]
        self._surname_cum = list(itertools.accumulate(w for _, w in names.SURNAMES))

    def surname(self) -> str:
        return self.rng.choices(self._surnames, cum_weights=self._surname_cum)[0]

    def sex(self) -> str:
        return self.rng.choice("mf")

    def given_name(self, sex: str, generation: str) -> str:
        return self.rng.choice(names.GIVEN_NAMES[(generation, sex)])

    def name(self, *, sex: str | None = None, generation: str | None = None, surname: str | None = None) -> str:
        sex = sex or self.sex()
        generation = generation or self.rng.choices(["old", "mid", "young"], weights=[2, 5, 3])[0]
        return (surname or self.surname()) + self.given_name(sex, generation)

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def id_number(self, *, birth_year: int, sex: str, today: datetime.date) -> str:
        """An ID number of someone registered in 东港市, born in `birth_year`, not after `today`."""
        start = datetime.date(birth_year, 1, 1)
        last = min(datetime.date(birth_year, 12, 31), today)
        while True:
            born = start + datetime.timedelta(days=self.rng.randrange((last - start).days + 1))
            # The 17th digit is odd for men and even for women.
            sequence = self.rng.randrange(0, 500) * 2 + (1 if sex == "m" else 0)
            first17 = f"{names.CITY_CODE}{born:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
