"""Record linkage: find the same person across rows and files and merge them into golden records
(the dedupe step, listclean.steps.dedupe, runs it over chunks, in parts or against a master)."""

from listclean.linkage.engine import DedupeOptions, DedupeReport, DedupeResult, dedupe

__all__ = ["DedupeOptions", "DedupeReport", "DedupeResult", "dedupe"]
