"""Signed reference-data bundles from the central office, through The Update Framework.

``repository`` makes and signs a bundle (the office side: ``gate bundle make``); ``fetch``
pulls and verifies one (the gate side, and ``gate bundle verify``); ``poller`` runs the fetch
on a timer and hands a verified bundle to the service's one-step swap
(gate/service/reference_swap.py).
"""
