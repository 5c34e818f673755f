"""Deliberately broken (and conformant but unusual) variants of the reference server."""
