"""cardguard: keep Hugging Face model cards valid and true to their checkpoint."""

__version__ = "0.1.0"
