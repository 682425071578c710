"""dynolint: a static analyzer, linter and codemod for race-prone DynamoDB code and
multi-tenant AWS Lambda isolation mistakes."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
