"""The web face: the aiohttp application, its API handlers, authentication and roles, the
signed callbacks, problem documents, content negotiation, metrics and the status page.
"""
