-- wrk script for Undersigned's benchmarks: a GET or a sign POST with a unique email per
-- request, and a JSON summary on stdout for bench/run.py.
-- Arguments (after --): mode ("get" or "sign"), run tag, then for sign: the form body prefix.

local mode, tag, prefix = "get", "x", ""
local counter = 0
local threads = {}
local id = 0

function setup(thread)
  id = id + 1
  thread:set("tid", id)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "get"
  tag = args[2] or "x"
  prefix = args[3] or ""
  if mode == "sign" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function request()
  if mode ~= "sign" then
    return wrk.format()
  end
  counter = counter + 1
  local email = string.format("b%s-%d-%d%%40example.org", tag, tid, counter)
  return wrk.format(nil, nil, nil, prefix .. "&email=" .. email)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
