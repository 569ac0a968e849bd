"""The URL table of the HTTP service."""

from __future__ import annotations

from aiohttp import web

from gate.web import api, callbacks, reports_page, screening_api
from gate.web.page import handlers as page
from gate.web.page import login, search
from gate.web.page.responses import static_file

API = "/api/v1"


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/healthz", api.healthz)
    r.add_get("/readyz", api.readyz)
    r.add_get("/metrics", api.metrics)
    r.add_get(API + "/items/{code}", api.get_item)
    r.add_post(API + "/shipments", api.create_shipment)
    r.add_get(API + "/shipments", api.list_shipments)
    r.add_get(API + "/shipments/{id}", api.get_shipment)
    r.add_patch(API + "/shipments/{id}", api.amend_shipment)
    r.add_get(API + "/shipments/{id}/history", api.shipment_history)
    r.add_post(API + "/shipments/{id}/seal", api.seal_shipment)
    r.add_get(API + "/shipments/{id}/lines/{key}/serials", api.line_serials)
    r.add_post(API + "/shipments/{id}/lines/{key}/remove", api.remove_line)
    r.add_post(API + "/shipments/{id}/dispatch", api.dispatch_shipment)
    r.add_post(API + "/shipments/{id}/cancel", api.cancel_shipment)
    r.add_post(API + "/scans", api.post_scans)
    r.add_get(API + "/doors", api.list_doors)
    r.add_get(API + "/doors/{door}", api.get_door)
    r.add_post(API + "/doors/{door}/acknowledge", api.acknowledge_door)
    r.add_get(API + "/licences", api.list_licences)
    r.add_post(API + "/licences", callbacks.post_licence)
    r.add_post(API + "/approvals", callbacks.post_approval)
    r.add_post(API + "/screen", screening_api.post_screen)
    r.add_get(API + "/lists", screening_api.get_lists)
    r.add_post(API + "/clearances", screening_api.post_clearance)
    r.add_get(API + "/clearances", screening_api.list_clearances)
    r.add_get(API + "/events", api.events)
    r.add_get(API + "/link", api.link)
    r.add_get(API + "/readers", api.list_readers)
    r.add_get(API + "/status", api.status)
    # The operator status page (gate/web/page): HTML for people, fragments for its script.
    r.add_get("/", page.index)
    r.add_get("/login", login.login_form)
    r.add_get("/display", page.display)
    r.add_post("/login", login.login)
    r.add_post("/logout", login.logout)
    r.add_get("/page/doors", page.doors_fragment)
    r.add_get("/page/side", page.side_fragment)
    r.add_get("/page/shipments/{id}/history", page.history_fragment)
    r.add_get("/page/shipments", search.find_fragment)
    r.add_get("/page/shipments/{id}", search.shipment_fragment)
    r.add_post("/page/alerts/{id}/acknowledge", page.acknowledge_alert)
    reports_page.setup(app)
    r.add_get("/static/{filename:.*}", static_file)
