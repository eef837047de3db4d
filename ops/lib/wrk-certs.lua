-- wrk script of ops/bin/bench-wrk: POSTs pre-built certificates, each once. WRK_CERTS names a file of
-- "length u16 | bytes" records, WRK_THREADS the number of wrk threads (-t): thread i sends records
-- i, i + T, i + 2T, ... in order (the file's round robin over the sensors keeps each sensor's
-- certificates on one thread when the fleet size is a multiple of T). Built into wrk's request
-- strings in init, so the measured loop only hands them out. Past the last one it starts over:
-- those are replays, which the node refuses (non-2xx, reported).
local next_index = 0

function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
end

function init(args)
  local f = assert(io.open(os.getenv("WRK_CERTS"), "rb"))
  local data = f:read("*a")
  f:close()
  local total = tonumber(os.getenv("WRK_THREADS"))
  local headers = { ["Content-Type"] = "application/octet-stream" }
  reqs = {}
  local pos, k = 1, 0
  while pos + 1 <= #data do
    local len = data:byte(pos) * 256 + data:byte(pos + 1)
    if k % total == index then
      reqs[#reqs + 1] = wrk.format("POST", nil, headers, data:sub(pos + 2, pos + 1 + len))
    end
    pos = pos + 2 + len
    k = k + 1
  end
  sent = 0
end

function request()
  sent = sent + 1
  return reqs[(sent - 1) % #reqs + 1]
end
