"""Find the same person across rows and files and merge them into golden records."""

from listclean.dedupe.engine import DedupeOptions, DedupeReport, DedupeResult, dedupe

__all__ = ["DedupeOptions", "DedupeReport", "DedupeResult", "dedupe"]
