from django.urls import path


def route(pattern: str, view, name: str | None = None) -> list:
    """The route as written in API.md, and the same with or without a trailing slash."""
    other = pattern[:-1] if pattern.endswith("/") else pattern + "/"
    return [path(pattern, view, name=name), path(other, view)]
