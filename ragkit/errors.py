"""One error tree. Every error says what was wrong and, where it can, what to do about it."""

from __future__ import annotations


class RagkitError(Exception):
    """Base of every error ragkit raises on purpose."""


class ConfigError(RagkitError):
    """A setting is unknown, missing or has a bad value. The message names the key."""


class KeyPolicyError(ConfigError):
    """A config names a variable that is not an API key variable, would send a key to a host it is
    not meant for, or (an untrusted layer) tries to widen where keys and text go. Nothing was sent."""


# ---- data layer -------------------------------------------------------------------------------
class IngestError(RagkitError):
    """A file or document could not be ingested. Carries the source and the reason."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class LoaderError(IngestError):
    """A file could not be read or parsed into text (empty, binary, encrypted, no text layer...)."""


class IndexLockedError(RagkitError):
    """Another process holds the index's write lock."""


class StoreError(RagkitError):
    """The vector store refused an operation or is unreachable."""


class IndexMismatchError(StoreError):
    """An existing index was built with another embedder or vector dim than the one configured."""


class FilterError(RagkitError):
    """A metadata filter is malformed or names an unknown field."""


class ModelLoadError(RagkitError):
    """Model weights could not be loaded (missing, offline, corrupt)."""


# ---- model layer: typed provider errors -----------------------------------------------------
class ProviderError(RagkitError):
    """A call to an LLM or embedding provider failed. Subclasses drive retry/fallback policy."""

    retryable: bool = False
    fallback: bool = False

    def __init__(self, message: str, *, provider: str = "", model: str = "", status: int | None = None):
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.status = status


class RateLimitedError(ProviderError):
    retryable = True
    fallback = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ProviderTimeoutError(ProviderError):
    retryable = True
    fallback = True


class ServerError(ProviderError):
    retryable = True
    fallback = True


class ContextWindowExceededError(ProviderError):
    retryable = False
    fallback = True  # to a larger-context model


class ContentFilteredError(ProviderError):
    retryable = False
    fallback = False


class AuthenticationError(ProviderError):
    retryable = False
    fallback = False


class BadRequestError(ProviderError):
    retryable = False
    fallback = False


class MalformedResponseError(ProviderError):
    retryable = True
    fallback = True


class StreamInterruptedError(ProviderError):
    """A streamed completion broke off after it had started (the server dropped the connection, the
    client closed it, or the stream ended without its final event). Never retried: tokens were
    already spent and text already shown. `partial_text` is what arrived; `usage` the tokens used as
    far as known (the provider's own figures when it sent them, else counted from the prompt and the
    partial text)."""

    retryable = False
    fallback = False

    def __init__(self, message: str, *, partial_text: str = "", usage=None, **kw):
        super().__init__(message, **kw)
        self.partial_text = partial_text
        self.usage = usage


# ---- orchestration ---------------------------------------------------------------------------
class BudgetExceededError(RagkitError):
    """A call would exceed a budget; it was not made."""


class LedgerError(RagkitError):
    """The cost ledger cannot be read or written (damaged, emptied, not a ledger, unwritable).

    `damaged` is True when the file itself is bad (it is left in place for inspection); paid calls
    are refused while the ledger cannot record them."""

    def __init__(self, message: str, *, path: str = "", reason: str = "", damaged: bool = False):
        super().__init__(message)
        self.path = path
        self.reason = reason
        self.damaged = damaged


class AllModelsFailedError(RagkitError):
    """Every model of a route's fallback chain failed or is cooling down."""

    def __init__(self, message: str, errors: list[ProviderError] | None = None):
        super().__init__(message)
        self.errors = errors or []


# ---- evaluation ------------------------------------------------------------------------------
class SuiteError(ConfigError):
    """An eval suite file is malformed or names data that is missing. The message says which key or path."""
