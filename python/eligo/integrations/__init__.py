"""eligo wired into LLM gateways and routers.

Each integration is a module of its own, imported by name, with its own
optional dependency:

* ``eligo.integrations.litellm``: a LiteLLM ``Router`` whose every pick is
  eligo's (``pip install 'eligo[litellm]'``); see docs/INTEGRATIONS.md.

Importing this package imports none of them.
"""
