-- wrk script of the benchmarks: cycle through request paths read from a file (one per line),
-- each thread from its own offset, and print latency percentiles and counts as one JSON line.
-- usage: wrk -c8 -t2 -d8s -s bench/paths.lua -H 'Authorization: Bearer KEY' http://127.0.0.1:18050 -- FILE
local paths = {}
local i = 0
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  math.randomseed(os.time() * 100 + id)
  i = math.random(#paths)
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, e.connect + e.read + e.write + e.timeout, e.status))
end
