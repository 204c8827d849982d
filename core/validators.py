"""Validators every app shares. Numbers are ASCII digits only: Python's `\\d` also accepts
Arabic-Indic, full-width and other Unicode digits, which look like a number on screen but are not
one for a phone network or the ID card register.

Each is a class without arguments, so migrations name the class and a later change of its rule
needs no new migration in the apps that use it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: weights of the first 17 digits and the check character for each sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643) for its first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


class MobileNumberValidator(RegexValidator):
    regex = r"\A1[3-9][0-9]{9}\Z"
    message = _("Enter an 11-digit mainland China mobile number.")


class IdNumberValidator(RegexValidator):
    """18 characters and a matching check character: a mistyped digit is caught where it is typed."""

    regex = r"\A[0-9]{17}[0-9Xx]\Z"
    message = _("Enter an 18-digit resident ID card number.")
    checksum_message = _("This ID card number's last character does not match the others: check for a typing error.")

    def __call__(self, value) -> None:
        super().__call__(value)
        if id_check_digit(str(value)[:17]) != str(value)[17].upper():
            raise ValidationError(self.checksum_message, code="checksum")


mobile_validator = MobileNumberValidator()
id_number_validator = IdNumberValidator()
