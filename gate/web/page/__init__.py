"""The operator status page: handlers, the page's view of the docks, templates and static
files.
"""
