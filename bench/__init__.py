"""Hotpass benchmark: speed, memory and accuracy by size (``python -m bench``)."""
