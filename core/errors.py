"""Errors services raise; the app turns them into a field message on a form, or a
4xx JSON body naming the field in the API."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request. `field` names the input at fault, when there is one;
    `params` are facts the API adds to its answer for the client to act on (`existing_id`)."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class FieldErrors(DomainError):
    """Several fields wrong at once (a form): {field: message}."""

    status_code = 400

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, first_field)
        self.errors = errors
