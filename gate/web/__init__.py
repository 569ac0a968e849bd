"""The web face: the aiohttp application, its API handlers, authentication and roles, the
signed callbacks, problem documents, content negotiation, the API's shipment and licence
documents (``shipment_docs``), metrics and the status page.
"""
