"""ASGI entry point for `uvicorn poolcrm.asgi:app` (settings from the environment)."""

from poolcrm.app import create_app

app = create_app()
