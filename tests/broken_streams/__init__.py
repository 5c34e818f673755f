"""Streaming variants of the reference server (see ``variants``) and the ASGI wrapper that makes them."""
