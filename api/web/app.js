// The registry's web map: base layers from /map/data, stations from the API (with a key) or the
// public OGC API (without), priority zones, coverage gaps, search, filters. No external requests.
"use strict";

(function () {
  const I18N = window.HYDROMET_I18N;
  const ENUMS = {
    network: ["national", "specialized"],
    type: ["synoptic", "climatological", "agrometeorological", "hydrological", "rain_gauge", "marine",
      "upper_air", "radar", "lightning", "aeronautical", "other"],
    automation: ["automatic", "semi_automatic", "manual"],
    status: ["planned", "operational", "suspended", "closed"],
    zone_category: ["disaster_prone", "climate_hotspot", "coastal", "sea", "island"],
    policy: ["core", "recommended", "restricted"],
  };
  const OPEN_STATUSES = ["planned", "operational", "suspended"];
  const ZONE_COLORS = {
    disaster_prone: "#d62728", climate_hotspot: "#9467bd", coastal: "#17a2b8", sea: "#1f77b4", island: "#2ca02c",
  };
  const PAGE = 1000;
  const DUE_WITHIN_DAYS = 30; // the popup also lists what falls due within a month
  const VIETNAM = [[7.6, 102.1], [23.4, 117.2]];
  const KEY_STORE = "hydromet.key";
  const LANG_STORE = "hydromet.lang";

  const state = {
    lang: localStorage.getItem(LANG_STORE) === "en" ? "en" : "vi",
    key: sessionStorage.getItem(KEY_STORE),
    mode: "public",
    stations: [],
    owners: new Set(),
    loadToken: 0,
    zones: null,
    zoneIndex: new Map(),
    zoneLayers: {},
    gapLayer: null,
    seaLabels: [],
    icons: new Map(),
    pendingLayer: null,
  };
  const $ = (sel) => document.querySelector(sel);

  // ---- words -------------------------------------------------------------------------------
  function t(key, vars) {
    let text = I18N[state.lang][key] ?? I18N.vi[key] ?? key;
    for (const [k, v] of Object.entries(vars || {})) text = text.replace("{" + k + "}", String(v));
    return text;
  }
  function label(group, value) {
    return (I18N[state.lang][group] || {})[value] || value;
  }
  function fold(text) {
    return String(text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }
  function message(text) {
    $("#message").textContent = text || "";
  }

  // ---- HTTP --------------------------------------------------------------------------------
  class HttpError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }
  async function getJSON(path) {
    const headers = { Accept: "application/geo+json, application/json" };
    if (state.key) headers.Authorization = "Bearer " + state.key;
    const response = await fetch(path, { headers });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new HttpError(response.status, (body && (body.detail || body.title)) || response.statusText);
    }
    return body;
  }
  function sameOrigin(href) {
    const url = new URL(href, location.href);
    return url.pathname + url.search;
  }
  // Yield every page of a GeoJSON list, following its rel=next links.
  async function* pages(first) {
    let url = first;
    while (url) {
      const body = await getJSON(url);
      yield body;
      const next = (body.links || []).find((link) => link.rel === "next");
      url = next ? sameOrigin(next.href) : null;
    }
  }
  // Some collections refuse a page size over their maximum: retry once with their default.
  async function* pagesWithLimit(base, limit) {
    const sep = base.includes("?") ? "&" : "?";
    let yielded = false;
    try {
      for await (const page of pages(base + sep + "limit=" + limit)) {
        yielded = true;
        yield page;
      }
    } catch (err) {
      if (yielded || !(err instanceof HttpError) || err.status !== 400) throw err;
      yield* pages(base);
    }
  }
  async function collect(base) {
    const out = [];
    for await (const page of pagesWithLimit(base, PAGE)) out.push(...(page.features || []));
    return out;
  }

  // ---- the map -----------------------------------------------------------------------------
  const map = L.map("map", { zoomControl: true, minZoom: 4, maxZoom: 16, attributionControl: true });
  map.fitBounds(VIETNAM);
  map.attributionControl.setPrefix("Leaflet");
  for (const [name, z] of [["base", 250], ["zones", 350], ["gaps", 380], ["labels", 450]]) {
    map.createPane(name).style.zIndex = z;
  }
  map.getPane("labels").style.pointerEvents = "none";
  // Each page (up to 1000 stations) is clustered in one go between fetches, not with the library's
  // timer-driven chunks, so a reload never gets markers of the previous one and "ready" means drawn.
  const cluster = L.markerClusterGroup({
    chunkedLoading: false, maxClusterRadius: 45, disableClusteringAtZoom: 12,
    showCoverageOnHover: false, spiderfyOnMaxZoom: true,
  });
  map.addLayer(cluster);
  cluster.on("click", (e) => openStation(e.layer));

  async function loadBase() {
    const [seas, provinces, coast] = await Promise.all(
      ["seas", "provinces", "coastline"].map((name) => getJSON("/map/data/" + name + ".geojson")),
    );
    L.geoJSON(seas, {
      pane: "base", interactive: false,
      filter: (f) => f.geometry.type !== "Point",
      style: { color: "#9cc3e0", weight: 0, fillColor: "#cfe3f3", fillOpacity: 1 },
    }).addTo(map);
    L.geoJSON(provinces, {
      pane: "base",
      style: { color: "#9aa5ae", weight: 0.7, fillColor: "#fbfaf5", fillOpacity: 1, className: "province" },
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, { sticky: true, direction: "top" }),
    }).addTo(map);
    L.geoJSON(coast, {
      pane: "base", interactive: false,
      style: (f) => f.properties.kind === "coastline"
        ? { color: "#4f86b5", weight: 1.1 } : { color: "#8a7b6a", weight: 1, dashArray: "4 3" },
    }).addTo(map);
    fillProvinces(provinces.features);
    state.seaFeatures = seas.features;
    drawSeaLabels();
    state.attribution = t("attribution");
    map.attributionControl.addAttribution(state.attribution);
  }
  function drawSeaLabels() {
    for (const marker of state.seaLabels) marker.remove();
    state.seaLabels = (state.seaFeatures || []).map((f) => {
      const p = f.properties;
      const at = p.label || f.geometry.coordinates;
      const span = el("span", { text: state.lang === "vi" ? p.name_vi : p.name_en });
      const icon = L.divIcon({ className: "sea-label " + p.kind, html: span, iconSize: null });
      return L.marker([at[1], at[0]], { icon, pane: "labels", interactive: false, keyboard: false }).addTo(map);
    });
  }
  function fillProvinces(features) {
    const select = $("#f-province");
    const sorted = features.map((f) => f.properties).sort((a, b) => a.name.localeCompare(b.name, "vi"));
    select.replaceChildren(el("option", { value: "", text: t("all") }),
      ...sorted.map((p) => el("option", { value: p.code, text: p.name })));
    state.provinceNames = new Map(sorted.map((p) => [p.code, p.name]));
  }

  // ---- stations ----------------------------------------------------------------------------
  function iconFor(p) {
    const key = p.network + "|" + p.automation + "|" + p.status;
    if (!state.icons.has(key)) {
      const cls = "stn net-" + p.network + " auto-" + p.automation + " st-" + p.status;
      state.icons.set(key, L.divIcon({ className: cls, html: "<i></i>", iconSize: [14, 14] }));
    }
    return state.icons.get(key);
  }
  function readFilters() {
    const data = new FormData($("#filters"));
    const value = (name) => String(data.get(name) || "").trim();
    return {
      network: value("network"), type: value("type"), automation: value("automation"), status: value("status"),
      province: value("province"), owner: value("owner"), zone_category: value("zone_category"),
      zone: value("zone"), data_policy: value("data_policy"), closed: data.get("closed") === "on", bbox: data.get("in_view") === "on" ? viewBox() : null,
    };
  }
  function viewBox() {
    const b = map.getBounds();
    const clamp = (v, lo, hi) => Number(Math.min(hi, Math.max(lo, v)).toFixed(4));
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)];
  }
  function statuses(f) {
    if (f.status) return [f.status];
    return f.closed ? null : OPEN_STATUSES;
  }
  // The API's own filters, sent as its query parameters.
  function apiQuery(f) {
    const q = new URLSearchParams({ f: "geojson", limit: String(PAGE) });
    for (const name of ["network", "type", "automation", "province", "owner", "zone_category", "zone", "data_policy"]) {
      if (f[name]) q.set(name, f[name]);
    }
    const wanted = statuses(f);
    if (wanted) q.set("status", wanted.join(","));
    if (f.bbox) q.set("bbox", f.bbox.join(","));
    return "/api/v1/stations?" + q.toString();
  }
  // The same filters applied in the page, for the public collection (same meaning as the API's).
  function matcher(f) {
    const wanted = statuses(f);
    const owners = f.owner ? f.owner.split(",").map((s) => s.trim()).filter(Boolean) : null;
    return (feature) => {
      const p = feature.properties;
      const zones = p.zones || [];
      const [lon, lat] = feature.geometry.coordinates;
      return (!f.network || p.network === f.network)
        && (!f.type || (p.station_types || []).includes(f.type))
        && (!f.automation || p.automation === f.automation)
        && (!f.data_policy || p.data_policy === f.data_policy)
        && (!wanted || wanted.includes(p.status))
        && (!f.province || p.province === f.province)
        && (!owners || owners.includes(p.owner))
        && (!f.zone || zones.includes(f.zone))
        && (!f.zone_category || zones.some((c) => (state.zoneIndex.get(c) || {}).category === f.zone_category))
        && (!f.bbox || (lon >= f.bbox[0] && lat >= f.bbox[1] && lon <= f.bbox[2] && lat <= f.bbox[3]));
    };
  }
  function addStations(features) {
    const markers = [];
    for (const feature of features) {
      if (!feature.geometry) continue;
      const p = feature.properties;
      const [lon, lat] = feature.geometry.coordinates;
      const marker = L.marker([lat, lon], { icon: iconFor(p), title: p.name, keyboard: false });
      marker.feature = feature;
      markers.push(marker);
      state.stations.push({ marker, text: fold(p.name + " " + p.national_code) });
      if (p.owner) state.owners.add(p.owner);
    }
    cluster.addLayers(markers);
  }
  function showCount() {
    const n = state.stations.length;
    $("#count").textContent = t("count", { n: n.toLocaleString(state.lang === "vi" ? "vi-VN" : "en-US") });
    $("#count").dataset.count = String(n);
  }
  async function loadStations() {
    const token = ++state.loadToken;
    document.body.dataset.state = "loading";
    cluster.clearLayers();
    state.stations = [];
    const f = readFilters();
    const publicMode = state.mode !== "staff";
    if (publicMode && f.zone_category) await ensureZones().catch(() => null);
    const keep = publicMode ? matcher(f) : () => true;
    const source = publicMode ? pagesWithLimit("/ogc/collections/stations/items", PAGE) : pages(apiQuery(f));
    try {
      for await (const page of source) {
        if (token !== state.loadToken) return;
        addStations((page.features || []).filter(keep));
        message(t("loading", { n: state.stations.length }));
      }
      message("");
    } catch (err) {
      if (token !== state.loadToken) return;
      const missing = publicMode && err instanceof HttpError && err.status === 404;
      message(missing ? t("no_public_source") : t("load_failed", { detail: err.message }));
    }
    fillOwners();
    showCount();
    await state.base;
    if (token === state.loadToken) document.body.dataset.state = "ready";
  }
  // ---- change requests waiting for review (only a key that sees them gets any) ----------------
  function pendingText(r) {
    const after = (name) => (r.diff.find((d) => d.field === name) || {}).after;
    const what = after("national_code") || after("name") || r.station_id || (r.report || {}).created + "+" + (r.report || {}).updated;
    return `${t("pending_" + r.kind)}: ${what} (${r.organization})`;
  }
  async function loadPending() {
    if (state.pendingLayer) state.pendingLayer.remove();
    state.pendingLayer = null;
    $("#pending-box").hidden = true;
    if (state.mode !== "staff") return;
    let body;
    try { body = await getJSON("/api/v1/change-requests?status=submitted&limit=" + PAGE); } catch (err) { return; }
    const items = body.items || [];
    $("#pending").replaceChildren(...items.map((r) => el("li", { text: pendingText(r), "data-request": r.id })));
    $("#pending-box").hidden = items.length === 0;
    const dots = items
      .map((r) => [r, (r.diff.find((d) => d.field === "location") || {}).after])
      .filter(([r, at]) => r.kind === "create" && at && at.coordinates)
      .map(([r, at]) => L.circleMarker([at.coordinates[1], at.coordinates[0]], { radius: 7, dashArray: "3", fillOpacity: 0.2, color: "#b8860b" })
        .bindTooltip(pendingText(r)));
    state.pendingLayer = L.layerGroup(dots).addTo(map);
  }
  function fillOwners() {
    const list = $("#owners");
    list.replaceChildren(...[...state.owners].sort().map((code) => el("option", { value: code })));
  }

  // ---- the station popup -------------------------------------------------------------------
  function row(name, value) {
    if (value == null || value === "" || (Array.isArray(value) && !value.length)) return null;
    return el("tr", {}, el("th", { text: t(name) }), el("td", { text: Array.isArray(value) ? value.join(", ") : String(value) }));
  }
  function popupBody(p) {
    const variables = (p.variables || []).map((v) => v.interval_min ? v.name + " (" + v.interval_min + " min)" : v.name);
    const province = (state.provinceNames && state.provinceNames.get(p.province)) || p.province;
    const table = el("table", {},
      row("p_code", p.national_code), row("p_wigos", p.wigos_ids), row("p_network", label("network", p.network)),
      row("p_types", (p.station_types || []).map((x) => label("type", x))),
      row("p_automation", label("automation", p.automation)), row("p_status", label("status", p.status)),
      row("p_closed", p.closed_date), row("p_elevation", p.elevation_m == null ? null : p.elevation_m + " m"),
      row("p_province", province), row("p_owner", p.owner), row("p_operator", p.operator),
      row("p_river", p.river), row("p_policy", label("policy", p.data_policy)), row("p_variables", variables));
    const zones = el("ul", { class: "zones" });
    const maintenance = el("div", { class: "maintenance", text: t("loading_short") });
    const body = el("div", { class: "popup", "data-station": p.id || "" },
      el("h3", { text: p.name }), table, el("h4", { text: t("p_zones") }), zones,
      el("h4", { text: t("p_maintenance") }), maintenance);
    return { body, zones, maintenance };
  }
  function openStation(marker) {
    const p = marker.feature.properties;
    const parts = popupBody(p);
    marker.unbindPopup();
    marker.bindPopup(parts.body, { maxWidth: 360, minWidth: 260, maxHeight: 380 }).openPopup();
    // the popup grows when zones and maintenance arrive: lay it out again (scrolling past maxHeight)
    const relayout = () => marker.isPopupOpen() && marker.getPopup().update();
    const zones = fillZones(parts.zones, p.zones || []).then(relayout);
    const due = fillMaintenance(parts.maintenance, marker.feature.id || p.id).then(relayout);
    Promise.all([zones, due]).then(() => { parts.body.dataset.complete = "1"; });
  }
  async function fillZones(list, codes) {
    if (!codes.length) {
      list.replaceWith(el("p", { class: "note", text: t("p_zones_none") }));
      return;
    }
    await ensureZones().catch(() => null);
    list.replaceChildren(...codes.map((code) => {
      const z = state.zoneIndex.get(code);
      const text = z ? z.name + " — " + label("zone_category", z.category) : code;
      return el("li", { text });
    }));
  }
  function dueItems(body) {
    if (Array.isArray(body)) return body;
    return (body && (body.items || body.due || body.features)) || [];
  }
  async function fillMaintenance(box, stationId) {
    if (state.mode !== "staff") {
      box.textContent = t("p_maintenance_key");
      return;
    }
    try {
      const items = dueItems(await getJSON("/api/v1/maintenance/due?limit=" + PAGE + "&within_days=" + DUE_WITHIN_DAYS + "&station_id=" + encodeURIComponent(stationId)));
      if (!items.length) {
        box.textContent = t("p_maintenance_none");
        return;
      }
      const late = items.filter((item) => Number(item.days_overdue || 0) > 0).length;
      box.replaceChildren(el("p", { class: "summary", text: t("p_due_summary", { n: items.length, late }) }),
        el("ul", {}, ...items.map(maintenanceLine)));
    } catch (err) {
      box.textContent = t("p_maintenance_unavailable") + " (" + err.message + ")";
    }
  }
  function maintenanceLine(raw) {
    const item = raw.properties || raw;
    const what = [label("action", item.action), item.kind, item.serial_number].filter(Boolean).join(" · ");
    const late = Number(item.days_overdue || 0);
    const when = late > 0 ? t("p_overdue", { n: late }) : t("p_due") + " " + (item.due_date || "");
    return el("li", { class: late > 0 ? "overdue" : "" }, what + " — " + when);
  }

  // ---- priority zones ----------------------------------------------------------------------
  function ensureZones() {
    if (!state.zones) {
      const base = state.mode === "staff" ? "/api/v1/zones" : "/ogc/collections/zones/items";
      state.zones = (state.mode === "staff" ? collectAll(base) : collect(base)).then((features) => {
        for (const f of features) {
          const p = f.properties || {};
          state.zoneIndex.set(p.code || f.id, p);
        }
        return features;
      });
      state.zones.catch(() => { state.zones = null; });
    }
    return state.zones;
  }
  async function collectAll(base) {
    const out = [];
    for await (const page of pages(base)) out.push(...(page.features || []));
    return out;
  }
  function buildZoneToggles() {
    const box = $("#zone-layers");
    box.replaceChildren(...ENUMS.zone_category.map((category) => {
      const input = el("input", { type: "checkbox", "data-category": category });
      input.checked = Boolean(state.zoneLayers[category]);
      input.addEventListener("change", () => toggleZones(category, input));
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = ZONE_COLORS[category];
      return el("label", {}, input, swatch, el("span", { text: label("zone_category", category) }));
    }));
  }
  function zonePopup(p) {
    const hazard = p.hazard ? " (" + label("hazard", p.hazard) + ")" : "";
    return el("div", { class: "popup" }, el("h3", { text: p.name || p.code }),
      el("div", { text: label("zone_category", p.category) + hazard }),
      el("div", { text: (p.code || "") + (p.priority_weight != null ? " · w = " + p.priority_weight : "") }));
  }
  async function toggleZones(category, input) {
    if (!input.checked) {
      if (state.zoneLayers[category]) state.zoneLayers[category].remove();
      delete state.zoneLayers[category];
      return;
    }
    $("#zone-message").textContent = t("loading_short");
    try {
      const features = (await ensureZones()).filter((f) => (f.properties || {}).category === category);
      if (!input.checked) return;
      const color = ZONE_COLORS[category];
      state.zoneLayers[category] = L.geoJSON(features, {
        pane: "zones",
        style: { color, weight: 1.2, fillColor: color, fillOpacity: 0.18, className: "zone-layer zone-" + category },
        onEachFeature: (f, layer) => layer.bindPopup(zonePopup(f.properties || {})),
      }).addTo(map);
      $("#zone-message").textContent = features.length + " × " + label("zone_category", category);
    } catch (err) {
      input.checked = false;
      const missing = err instanceof HttpError && err.status === 404 && state.mode !== "staff";
      $("#zone-message").textContent = missing ? t("zones_none") : t("load_failed", { detail: err.message });
    }
  }

  // ---- coverage gaps -----------------------------------------------------------------------
  function clearGap() {
    if (state.gapLayer) state.gapLayer.remove();
    state.gapLayer = null;
    $("#gap-result").textContent = state.mode === "staff" ? "" : t("gap_needs_key");
  }
  async function runGap(event) {
    event.preventDefault();
    clearGap();
    if (state.mode !== "staff") return;
    const q = new URLSearchParams(new FormData($("#gaps")));
    $("#gap-result").textContent = t("loading_short");
    try {
      const feature = await getJSON("/api/v1/coverage/gaps?" + q.toString());
      state.gapLayer = L.geoJSON(feature, {
        pane: "gaps", interactive: false,
        style: { color: "#a01818", weight: 1, dashArray: "3 2", fillColor: "#e8483a", fillOpacity: 0.35, className: "gap-layer" },
      }).addTo(map);
      const bounds = state.gapLayer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 8 });
      const p = feature.properties || {};
      const share = Number(p.uncovered_share || 0);
      $("#gap-result").textContent = t("gap_result", {
        area: Math.round(Number(p.uncovered_area_km2 || 0)).toLocaleString(state.lang === "vi" ? "vi-VN" : "en-US"),
        share: (share <= 1 ? share * 100 : share).toFixed(1), n: p.stations_counted ?? "?",
      });
    } catch (err) {
      $("#gap-result").textContent = t("load_failed", { detail: err.message });
    }
  }

  // ---- search ------------------------------------------------------------------------------
  function searchResults() {
    const q = fold($("#search").value.trim());
    const list = $("#search-results");
    if (q.length < 2) {
      list.replaceChildren();
      return [];
    }
    const found = [];
    for (const s of state.stations) {
      if (s.text.includes(q)) found.push(s);
      if (found.length >= 20) break;
    }
    list.replaceChildren(...(found.length ? found.map(resultItem) : [el("li", { class: "note", text: t("search_none") })]));
    return found;
  }
  function resultItem(s) {
    const p = s.marker.feature.properties;
    const province = (state.provinceNames && state.provinceNames.get(p.province)) || p.province || "";
    const button = el("button", { type: "button" }, p.name, el("small", { text: p.national_code + (province ? " · " + province : "") }));
    button.addEventListener("click", () => focusStation(s.marker));
    return el("li", { "data-code": p.national_code }, button);
  }
  function focusStation(marker) {
    cluster.zoomToShowLayer(marker, () => openStation(marker));
  }

  // ---- key, language, legend ---------------------------------------------------------------
  async function detectMode() {
    if (!state.key) return "public";
    const response = await fetch("/api/v1/stations?limit=1", { headers: { Authorization: "Bearer " + state.key } });
    if (response.ok) return "staff";
    if (response.status === 403) return "partner";
    sessionStorage.removeItem(KEY_STORE);
    state.key = null;
    $("#key-status").textContent = t("key_invalid");
    return "public";
  }
  async function restart() {
    document.body.dataset.state = "loading";
    state.mode = await detectMode();
    $("#mode").textContent = t("mode_" + state.mode);
    state.zones = null;
    state.zoneIndex = new Map();
    for (const layer of Object.values(state.zoneLayers)) layer.remove();
    state.zoneLayers = {};
    buildZoneToggles();
    $("#zone-message").textContent = "";
    clearGap();
    for (const input of $("#gaps").elements) input.disabled = state.mode !== "staff" && input.id !== "gap-clear";
    await loadStations();
    await loadPending();
  }
  function fillSelects() {
    for (const select of document.querySelectorAll("select[data-options]")) {
      const chosen = select.value;
      const values = ENUMS[select.dataset.options];
      const options = values.map((v) => el("option", { value: v, text: label(select.dataset.options, v) }));
      if (!select.dataset.required) options.unshift(el("option", { value: "", text: t("all") }));
      select.replaceChildren(...options);
      select.value = chosen;
      if (select.selectedIndex < 0) select.selectedIndex = 0;
    }
  }
  function legend() {
    const shape = (cls) => el("span", { class: "stn " + cls }, el("i"));
    const items = [
      [shape("net-national auto-automatic st-operational"), label("network", "national")],
      [shape("net-specialized auto-automatic st-operational"), label("network", "specialized")],
      [shape("auto-automatic st-operational"), label("automation", "automatic")],
      [shape("auto-semi_automatic st-operational"), label("automation", "semi_automatic")],
      [shape("auto-manual st-operational"), label("automation", "manual")],
      [shape("net-national auto-automatic st-planned"), label("status", "planned")],
      [shape("net-national auto-automatic st-closed"), label("status", "closed")],
    ];
    $("#legend").replaceChildren(...items.map(([icon, text]) => el("li", {}, icon, el("span", { text }))));
  }
  function translate() {
    document.documentElement.lang = state.lang;
    document.title = t("title");
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    fillSelects();
    if (state.provinceNames) $("#f-province").options[0].textContent = t("all");
    buildZoneToggles();
    legend();
    drawSeaLabels();
    if (state.attribution) {
      map.attributionControl.removeAttribution(state.attribution);
      state.attribution = t("attribution");
      map.attributionControl.addAttribution(state.attribution);
    }
    $("#mode").textContent = t("mode_" + state.mode);
    if (state.mode !== "staff" && !state.gapLayer) $("#gap-result").textContent = t("gap_needs_key");
    showCount();
  }

  function wire() {
    $("#lang").addEventListener("click", () => {
      state.lang = state.lang === "vi" ? "en" : "vi";
      localStorage.setItem(LANG_STORE, state.lang);
      map.closePopup();
      translate();
    });
    $("#filters").addEventListener("submit", (e) => { e.preventDefault(); loadStations(); });
    $("#filters").addEventListener("reset", () => setTimeout(loadStations, 0));
    $("#gaps").addEventListener("submit", runGap);
    $("#gap-clear").addEventListener("click", clearGap);
    let timer = null;
    $("#search").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(searchResults, 120); });
    $("#search").addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      const found = searchResults();
      if (found.length) focusStation(found[0].marker);
    });
    $("#key-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const key = $("#key").value.trim();
      $("#key").value = "";
      $("#key-status").textContent = "";
      state.key = key || null;
      if (key) sessionStorage.setItem(KEY_STORE, key);
      else sessionStorage.removeItem(KEY_STORE);
      message("");
      restart();
    });
    $("#key-clear").addEventListener("click", () => {
      sessionStorage.removeItem(KEY_STORE);
      state.key = null;
      message("");
      restart();
    });
  }

  window.hydrometMap = {
    map, cluster,
    markerCount: () => cluster.getLayers().length,
    zoneFeatureCount: (category) => state.zoneLayers[category] ? state.zoneLayers[category].getLayers().length : 0,
    gapDrawn: () => Boolean(state.gapLayer && state.gapLayer.getLayers().length),
    pendingCount: () => (state.pendingLayer ? state.pendingLayer.getLayers().length : 0),
    search: (text) => {
      $("#search").value = text;
      return searchResults().length;
    },
  };
  translate();
  wire();
  state.base = loadBase().catch((err) => message(t("load_failed", { detail: err.message })));
  restart();
})();
