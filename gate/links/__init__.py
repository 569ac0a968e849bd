"""Links out of the box: the central trade-compliance office (licence requests through the
durable outbox). Built on storage (the outbox) and the service's event bus; never imports the
web face or the commands.
"""
