"""Stable refusal codes: programs branch on these, so never rename one."""

from enum import StrEnum


class Reason(StrEnum):
    # Business refusals, decided by the GA.
    UNKNOWN_BOOK = "UNKNOWN_BOOK"
    NO_COPY_AVAILABLE = "NO_COPY_AVAILABLE"
    ALREADY_BORROWED = "ALREADY_BORROWED"
    NOT_BORROWED = "NOT_BORROWED"
    RENEWAL_LIMIT = "RENEWAL_LIMIT"
    # Malformed input, answered by whichever socket received it.
    BAD_JSON = "BAD_JSON"
    BAD_REQUEST = "BAD_REQUEST"
    UNKNOWN_METHOD = "UNKNOWN_METHOD"
    TOO_LARGE = "TOO_LARGE"
    # Availability.
    GA_UNAVAILABLE = "GA_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    INTERNAL_ERROR = "INTERNAL_ERROR"
