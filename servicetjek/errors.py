"""Domain errors carry a UI-string key, so every client shows the same clear message."""


class DomainError(ValueError):
    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


class PermissionDenied(DomainError):
    def __init__(self, key: str = "access.denied", **params):
        super().__init__(key, **params)
