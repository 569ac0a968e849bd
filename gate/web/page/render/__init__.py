"""The page's HTML: fragments built from the view data of ``gate.web.page.overview``.

One renderer for the page: ``doors`` (the doors region), ``side`` (alerts, control data, the
central link, the latest scans) and ``history`` (one shipment's records), all built from
``markup``'s pieces. Every value from outside goes through ``markup.h`` (HTML-escaped,
quotes too); static/page.js only fetches these fragments and swaps them in.

Colour never carries meaning alone: every signal has a symbol (an inline SVG shape) and a
word ("CLEARED – may leave", "HOLD – waiting for licence", "STOP – prohibited item").
"""
