"""Named domain errors. Each carries a stable machine-readable ``code``; HTTP status is mapped once, elsewhere."""

from __future__ import annotations

from typing import ClassVar


class ShortlinksError(Exception):
    """Base of every error the service reports to a caller."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidUrl(ShortlinksError):
    code = "invalid_url"


class UnsupportedScheme(InvalidUrl):
    code = "unsupported_scheme"

    @classmethod
    def of(cls, scheme: str) -> UnsupportedScheme:
        return cls(f"only http and https URLs can be shortened, not {scheme[:20]!r}")


class UrlTooLong(InvalidUrl):
    code = "url_too_long"

    @classmethod
    def over(cls, limit: int) -> UrlTooLong:
        return cls(f"the URL is longer than {limit} characters")


class TaggedUrlTooLong(UrlTooLong):
    code = "tagged_url_too_long"

    @classmethod
    def over(cls, limit: int) -> TaggedUrlTooLong:
        return cls(f"the URL with its UTM parameters is longer than {limit} characters; shorten the URL or the utm")


class QrTooLarge(ShortlinksError):
    code = "qr_too_large"

    @classmethod
    def over(cls, side: int, limit: int) -> QrTooLarge:
        return cls(f"the image would be {side} pixels wide, over {limit}; ask for a smaller size or margin")


class InvalidUtm(ShortlinksError):
    code = "invalid_utm"


class UrlHasCredentials(InvalidUrl):
    code = "url_has_credentials"

    @classmethod
    def found(cls) -> UrlHasCredentials:
        return cls("URLs with a user name or password (user@host) are refused: they are used to disguise destinations")


class UrlIsShortLink(InvalidUrl):
    code = "url_is_short_link"

    @classmethod
    def on(cls, host: str) -> UrlIsShortLink:
        return cls(f"the destination is on our own short domain {host!r}; that would make a redirect loop")


class InvalidAlias(ShortlinksError):
    code = "invalid_alias"


class AliasReserved(InvalidAlias):
    code = "alias_reserved"

    @classmethod
    def word(cls, alias: str) -> AliasReserved:
        return cls(f"{alias!r} is reserved and cannot be used as an alias")


class InvalidExpiry(ShortlinksError):
    code = "invalid_expires_at"


class CodeTaken(ShortlinksError):
    code = "code_taken"

    @classmethod
    def alias(cls, code: str) -> CodeTaken:
        return cls(f"the alias {code!r} is already taken")


class CodeSpaceExhausted(ShortlinksError):
    code = "code_generation_failed"
    retry_after = 1  # answered as 503: a retry draws new random codes

    @classmethod
    def after(cls, attempts: int) -> CodeSpaceExhausted:
        return cls(f"could not find a free code after {attempts} attempts; try again")


class LinkNotFound(ShortlinksError):
    code = "not_found"

    @classmethod
    def for_code(cls, code: str) -> LinkNotFound:
        return cls(f"no link with code {code[:64]!r}")


class LinkGone(ShortlinksError):
    """The link exists but may not be followed (410)."""

    code = "link_gone"


class LinkExpired(LinkGone):
    code = "link_expired"

    @classmethod
    def for_code(cls, code: str) -> LinkExpired:
        return cls(f"the link {code!r} has expired")


class LinkDisabled(LinkGone):
    code = "link_disabled"

    @classmethod
    def for_code(cls, code: str) -> LinkDisabled:
        return cls(f"the link {code!r} is disabled")


class LinkDeleted(LinkGone):
    code = "link_deleted"

    @classmethod
    def for_code(cls, code: str) -> LinkDeleted:
        return cls(f"the link {code!r} was deleted")


class InvalidTags(ShortlinksError):
    code = "invalid_tags"


class InvalidCursor(ShortlinksError):
    code = "invalid_cursor"

    @classmethod
    def given(cls) -> InvalidCursor:
        return cls("the cursor is not one this API returned for this listing")


class EditConflict(ShortlinksError):
    code = "conflict"

    @classmethod
    def on(cls, code: str) -> EditConflict:
        return cls(f"the link {code!r} was changed by someone else meanwhile; read it again and retry")


class VersionMismatch(EditConflict):
    code = "precondition_failed"

    @classmethod
    def on(cls, code: str) -> VersionMismatch:
        return cls(f"the link {code!r} is no longer at the version in If-Match; read it again")


class InvalidDomain(ShortlinksError):
    code = "invalid_domain"


class UnknownDomain(ShortlinksError):
    code = "unknown_domain"

    @classmethod
    def named(cls, host: str) -> UnknownDomain:
        return cls(f"{host[:100]!r} is not a registered short domain")


class DomainNotAllowed(ShortlinksError):
    code = "domain_not_allowed"

    @classmethod
    def on(cls, host: str) -> DomainNotAllowed:
        return cls(f"this key may not create links on {host!r}")


class DomainInUse(ShortlinksError):
    code = "domain_in_use"

    @classmethod
    def has_links(cls, host: str) -> DomainInUse:
        return cls(f"{host!r} still has links; remove it with force=true to leave them as tombstones")


class NotOurShortUrl(ShortlinksError):
    code = "not_our_short_url"

    @classmethod
    def on(cls, host: str, ours: str) -> NotOurShortUrl:
        return cls(f"{host!r} is not a short domain of this service (ours: {ours!r})")

    @classmethod
    def switched_off(cls, host: str) -> NotOurShortUrl:
        return cls(f"{host[:253]!r} is not a short domain of this service, and expanding other links is switched off")


class InvalidRange(ShortlinksError):
    """Statistics asked for a period the service does not answer: unreadable, reversed, too long, or at an
    unknown granularity."""

    code = "invalid_range"

    @classmethod
    def unreadable(cls, parameter: str, value: str) -> InvalidRange:
        return cls(
            f"{parameter} must be an ISO 8601 date or date-time such as 2026-12-01 or 2026-12-01T09:00:00Z,"
            f" not {value[:40]!r}"
        )

    @classmethod
    def backwards(cls) -> InvalidRange:
        return cls("from must not be after to")

    @classmethod
    def too_long(cls, granularity: str, buckets: int, limit: str) -> InvalidRange:
        return cls(f"a range by {granularity} covers at most {buckets} {granularity}s ({limit})")

    @classmethod
    def granularity(cls, value: str, allowed: str) -> InvalidRange:
        return cls(f"granularity must be {allowed}, not {value[:20]!r}")


class StorageUnavailable(ShortlinksError):
    """The store failed or did not answer in time: transient, so the caller is told when to retry."""

    code = "service_unavailable"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @classmethod
    def because(cls, reason: str, retry_after: int = 1) -> StorageUnavailable:
        return cls(f"the link store did not answer ({reason}); try again shortly", retry_after)


class Unauthenticated(ShortlinksError):
    code = "unauthorized"

    @classmethod
    def missing(cls) -> Unauthenticated:
        return cls("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")

    @classmethod
    def rejected(cls) -> Unauthenticated:
        # One message for malformed, unknown and revoked keys: do not tell a guesser which it was.
        return cls("the API key is not valid")


class Forbidden(ShortlinksError):
    code = "forbidden"

    @classmethod
    def admins_only(cls) -> Forbidden:
        return cls("only admin keys may do this")


class RateLimited(ShortlinksError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @classmethod
    def creating(cls, limit: int, retry_after: int) -> RateLimited:
        return cls(f"this key may create {limit} links a minute; retry in {retry_after} s", retry_after)

    @classmethod
    def expanding(cls, limit: int, retry_after: int) -> RateLimited:
        message = f"at most {limit} expansions of other services' links a minute; retry in {retry_after} s"
        return cls(message, retry_after)


class InvalidKeySpec(ShortlinksError):
    """A new API key's name or rate limit breaks a rule (the key's own value is never the caller's to choose)."""

    code = "invalid_key_spec"


class KeyNotFound(ShortlinksError):
    code = "key_not_found"

    @classmethod
    def for_id(cls, key_id: str) -> KeyNotFound:
        return cls(f"no API key with id {key_id[:64]!r}")
