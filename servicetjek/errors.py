"""Domain errors carry a UI-string key, so every client shows the same clear message."""


class DomainError(ValueError):
    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


class PermissionDenied(DomainError):
    def __init__(self, key: str = "access.denied", **params):
        super().__init__(key, **params)


class StorageFull(DomainError):
    """The server could not write: its disk is full. Nothing was stored; try again later."""

    def __init__(self):
        super().__init__("errors.disk_full")


def is_disk_full(exc: BaseException) -> bool:
    """DuckDB reports a full disk as an IOException whose text names the OS error."""
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    return "no space left" in text or "disk is full" in text or "disk full" in text
