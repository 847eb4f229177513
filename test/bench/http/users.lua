-- GET /users/<random id 1..10000>: every request carries a fresh raw path, so a library that
-- labels by raw path pays for it. Requests are formatted once, up front, to keep wrk's own cost
-- per request low: on one core it must outrun the fastest server measured.
local requests = {}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  for id = 1, 10000 do
    requests[id] = wrk.format("GET", "/users/" .. id)
  end
end

function request()
  return requests[math.random(1, 10000)]
end

-- One JSON line the runner parses; latency is in microseconds.
function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
