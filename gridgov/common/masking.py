"""Masking of personal data in every list, export and API answer (QUALITY: masked by default)."""


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678; landlines keep the area code and the last four digits."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 11 else min(4, len(digits) - 4)
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def mask_id_number(number: str | None) -> str:
    """110101199003071234 → 110***********1234."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
