"""Edge Counsel: an offline counseling assistant that runs entirely on this computer."""

__version__ = "0.1.0"
__all__ = ["__version__"]
