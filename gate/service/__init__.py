"""The service that runs the docks; it calls the pure core to decide and the storage layer
to make each change durable, and knows nothing of HTTP.

- ``docks``: the operations (create, seal, remove, cancel, dispatch, approvals, licences,
  re-evaluation, journaled actions) and what the rest of the gate reads.
- ``scan_path`` and ``scan_outcome``: a batch of scans decided and stored; one typed outcome
  per scan, rendered to the answer, the audit record, the event and the stored row.
- ``commit_step``: decide, write, then publish, the one step every change takes.
- ``live_state``: the shipments, door assignments and licences in memory, committed and
  pending.
- ``input_checks``: what comes in, checked before anything is decided.
- ``event_shapes``: the events the docks publish, one shape per kind; ``events`` the bus.
- ``policy_files`` and ``reloader``: the policy data and the table reloads.
"""
