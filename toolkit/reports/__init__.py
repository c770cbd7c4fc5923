"""Figures, HTML templates and the atomic writer: the edge where results become files."""
