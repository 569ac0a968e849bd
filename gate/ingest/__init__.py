"""Where scans come in from hardware: the msgpack scanner socket and the reader adapters
(LLRP portals, text scanners over TCP and serial). Everything here feeds the one scan path of
the service layer, ``Docks.scans``.
"""
