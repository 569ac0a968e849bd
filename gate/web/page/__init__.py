"""The operator status page.

- ``handlers``: the page and the fragments its script fetches again (aiohttp handlers);
- ``login``: the operator's login and logout;
- ``overview``: the page's view of the running gate, as data;
- ``alert_book``: the alerts, stored, acknowledged by name, cleared when their cause is gone;
- ``search``: finding shipments (closed ones too) and viewing one with its history;
- ``render``: the HTML fragments built from that data, every value escaped;
- ``responses``: HTML answers with the security headers, the templates, static URLs;
- ``live``: the background tasks that keep the alerts current (after the docks, checked);
- ``templates/`` and ``static/``: the two pages, the script, the style and the symbols.
"""
