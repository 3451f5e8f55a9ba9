-- wrk script for Undersigned's benchmarks: a GET, or a sign POST with an address of its own per
-- request, and a JSON summary on stdout for bench/processes.py.
-- Arguments (after --): mode ("get" or "sign"), then for sign: the run's tag; the form's fields
-- but the email and the proof of work; a file of complete bodies, one a line, each with its
-- proof solved ("" for none); the number of wrk threads. Thread n of N sends lines n, n + N,
-- n + 2N... of the file, so no two threads send the same address. Without the file, or once a
-- thread has sent all its lines, it sends the fields with an address and no proof, and counts
-- each such request in `unsolved`: bench/signing.py fails a solved run if there was any.

local mode, tag, prefix = "get", "x", ""
local bodies = nil
local counter = 0
local threads = {}
local id = 0
-- Globals, for done() to read from each thread's state.
tid = 0
unsolved = 0

function setup(thread)
  id = id + 1
  thread:set("tid", id)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "get"
  if mode ~= "sign" then
    return
  end
  tag = args[2] or "x"
  prefix = args[3] or ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  local path, count = args[4] or "", tonumber(args[5] or "1")
  if path ~= "" then
    bodies = {}
    local line_number = 0
    for line in io.lines(path) do
      if line_number % count == tid - 1 then
        table.insert(bodies, line)
      end
      line_number = line_number + 1
    end
  end
end

function request()
  if mode ~= "sign" then
    return wrk.format()
  end
  counter = counter + 1
  if bodies and counter <= #bodies then
    return wrk.format(nil, nil, nil, bodies[counter])
  end
  unsolved = unsolved + 1
  local email = string.format("b%s-%d-%d%%40example.org", tag, tid, counter)
  return wrk.format(nil, nil, nil, prefix .. "&email=" .. email)
end

function done(summary, latency, requests)
  local errors = summary.errors
  local sent_unsolved = 0
  for _, thread in ipairs(threads) do
    sent_unsolved = sent_unsolved + thread:get("unsolved")
  end
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, "unsolved": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout, sent_unsolved))
end
