"""The service that runs the docks: the live state of doors and shipments (``docks``), the
event bus, the policy files and the table reloader. It calls the pure core to decide and the
storage layer to make each change durable; it knows nothing of HTTP.
"""
