-- the wrk script of bench/load.py (which fills in the __GET__... thresholds from its MIX): a mixed load,
-- one connection per thread, so each thread's request and response alternate and it can keep state
local cfg, ids, terms, boxes, points = {}, {}, {}, {}, {}
counts, bad, sample = {}, {}, ""
local op, mine, etag, cursor, n = nil, nil, nil, nil, 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function lines(path)
  local t = {}
  for l in io.lines(path) do t[#t + 1] = l end
  return t
end

function init(args)
  local dir = args[1]
  for l in io.lines(dir .. "/config") do
    local k, v = l:match("^(%w+)=(.*)$")
    cfg[k] = v
  end
  ids, terms, boxes, points = lines(dir .. "/ids"), lines(dir .. "/terms"), lines(dir .. "/boxes"), lines(dir .. "/points")
  cfg.tag = args[2]  -- one per wrk run, so national codes never repeat across runs
  math.randomseed(tonumber(cfg.seed) + id * 7919)
end

local function pick(t) return t[math.random(#t)] end
local function enc(s) return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end)) end

local function write()
  local h = {["Authorization"] = "Bearer " .. cfg.editor, ["Content-Type"] = "application/json"}
  if mine and math.random(2) == 1 then
    op = "patch"
    h["If-Match"] = etag
    return wrk.format("PATCH", "/api/v1/stations/" .. mine, h, string.format('{"name": "Trạm tải %d-%d"}', id, n))
  end
  op, n = "post", n + 1
  local body = string.format('{"national_code": "LD-%s-%d-%d", "name": "Trạm tải %d", "network": "specialized", ' ..
    '"station_types": ["rain_gauge"], "automation": "automatic", "status": "operational", "location": ' ..
    '{"type": "Point", "coordinates": [%s]}, "elevation_m": 10.0, "wigos_ids": [], "owner": "%s", ' ..
    '"data_policy": "core", "variables": [{"name": "precipitation", "interval_min": 10}]}',
    cfg.tag, id, n, n, pick(points), cfg.org)
  return wrk.format("POST", "/api/v1/stations", h, body)
end

function request()
  local r = math.random(100)
  local h = {["Authorization"] = "Bearer " .. cfg.viewer}
  if r <= __GET__ then
    op = "get"
    return wrk.format("GET", "/api/v1/stations/" .. pick(ids), h)
  elseif r <= __LIST__ then
    op = "list"
    return wrk.format("GET", "/api/v1/stations?limit=50&status=operational&type=" .. pick({"synoptic", "rain_gauge", "hydrological"}), h)
  elseif r <= __SEARCH__ then
    op = "search"
    return wrk.format("GET", "/api/v1/stations?limit=20&q=" .. pick(terms), h)
  elseif r <= __BBOX__ then
    op = "bbox"
    return wrk.format("GET", "/api/v1/stations?limit=100&bbox=" .. pick(boxes), h)
  elseif r <= __FEED__ and cfg.feed == "1" then
    op = "feed"
    local path = "/share/v1/changes?limit=100" .. (cursor and ("&after=" .. enc(cursor)) or "")
    return wrk.format("GET", path, {["Authorization"] = "Bearer " .. cfg.partner})
  end
  return write()
end

function response(status, headers, body)
  counts[op] = (counts[op] or 0) + 1
  if status >= 400 then
    bad[op] = (bad[op] or 0) + 1
    if sample == "" then sample = op .. " " .. status .. " " .. body:sub(1, 300) end
  end
  if op == "post" and status == 201 then
    mine = (headers["location"] or headers["Location"] or ""):match("([%x%-]+)$")
    etag = headers["etag"] or headers["ETag"]
  elseif op == "patch" and status == 200 then
    etag = headers["etag"] or headers["ETag"]
  elseif op == "feed" and status == 200 then
    cursor = body:match('"next_cursor"%s*:%s*"([^"]*)"') or cursor
  end
end

local function merge(into, name)
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get(name) or {}) do into[k] = (into[k] or 0) + v end
  end
end

local function obj(t)
  local parts = {}
  for k, v in pairs(t) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local c, b, s = {}, {}, ""
  merge(c, "counts")
  merge(b, "bad")
  for _, t in ipairs(threads) do s = (s ~= "" and s) or (t:get("sample") or "") end
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d, "ops": %s, "bad": %s, "sample": %q}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, e.status, obj(c), obj(b), s))
end
