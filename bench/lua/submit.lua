-- Comment submission as a browser script does it: one session per wrk thread
-- fetches its CSRF token from GET /api/csrf, then POSTs JSON comments with it.
-- Counts 201 (accepted, approved or held) and anything else.

local threads = {}
local slug = os.getenv("BENCH_SLUG") or "post"
local path = "/api/posts/" .. slug .. "/comments"

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  -- Bodies differ from run to run too: the same text twice in an hour is refused.
  math.randomseed(os.time() + id * 7919)
  nonce = math.random(1, 1000000000)
  token = nil
  cookie = nil
  sent = 0
  accepted = 0
  refused = 0
end

function request()
  if token == nil then
    return wrk.format("GET", "/api/csrf")
  end
  sent = sent + 1
  local body = string.format(
    '{"body": "Load test comment %d (%d) from thread %d: *some* words and a link https://example.org/%d", ' ..
    '"name": "Reader %d", "email": "reader%d-%d@example.org"}',
    sent, nonce, id, sent, sent % 50, id, sent % 50)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-CSRFToken"] = token,
    ["Cookie"] = cookie,
  }, body)
end

function response(status, headers, body)
  if token == nil then
    local found = string.match(body, '"csrf_token"%s*:%s*"([^"]+)"')
    local set = headers["Set-Cookie"] or headers["set-cookie"]
    if found and set then
      token = found
      cookie = string.match(set, "^([^;]+)")
    end
    return
  end
  if status == 201 then
    accepted = accepted + 1
  elseif status ~= 200 then  -- 200: a token answer to a connection's first request
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local a, r = 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("accepted")
    r = r + thread:get("refused")
  end
  io.write(string.format("counter accepted %d\ncounter refused %d\n", a, r))
end
