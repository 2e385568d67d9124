"""Preprocessing: raw texts -> padded integer sequences the compiled model takes."""
