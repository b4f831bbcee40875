"""Hotpass: refine messy organisation/contact workbooks into one governed SSOT."""

__version__ = "0.1.0"
