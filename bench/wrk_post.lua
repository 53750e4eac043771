-- wrk script: POST a NEW valid stop record on every request.
--
-- Arguments (after `--`): TEMPLATES AGENCIES TAG OUT_DIR
--   TEMPLATES  file with one JSON stop record per line, holding the placeholders @@ORI@@,
--              @@LEA@@ (LEARecordID), @@UID@@ (Officer.UID) and @@TIME@@ (STime)
--   AGENCIES   file with one "ORI API_KEY" line per agency; the requests take them in turn,
--              so with N agencies N of them are in flight at once (each agency's requests are
--              serialised by the hub)
--   TAG        one letter that keeps this run's identifiers apart from other runs'
--   OUT_DIR    folder for the per-thread list of answered requests ("status LEARecordID")
-- Each thread counts its requests; thread number + counter make LEARecordID and Officer.UID
-- unique, so no request is a duplicate (409). done() prints one line "RESULT {json}".

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

-- per thread -------------------------------------------------------------------------------

local templates = {}
local agencies = {} -- {ori, "Bearer key"}
local counter = 0
local tag = "M"
statuses = {} -- global: done() reads it with thread:get
local answered = nil

local function split(line)
   -- "a@@LEA@@b@@UID@@c" -> {"a", "LEA", "b", "UID", "c"}: literals at odd positions
   local parts = {}
   local pos = 1
   while true do
      local s, e, name = string.find(line, "@@(%u+)@@", pos)
      if s == nil then
         table.insert(parts, string.sub(line, pos))
         return parts
      end
      table.insert(parts, string.sub(line, pos, s - 1))
      table.insert(parts, name)
      pos = e + 1
   end
end

function init(args)
   local file = assert(io.open(args[1], "r"))
   for line in file:lines() do
      if #line > 0 then
         table.insert(templates, split(line))
      end
   end
   file:close()
   for line in io.lines(args[2]) do
      local ori, key = string.match(line, "^(%S+)%s+(%S+)$")
      if ori then
         table.insert(agencies, {ori, "Bearer " .. key})
      end
   end
   tag = args[3]
   answered = assert(io.open(string.format("%s/answered-%s-%d.txt", args[4], tag, tid), "w"))
   answered:setvbuf("line") -- wrk exits without closing the threads' files
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   counter = counter + 1
   local secs = counter % 86400
   local agency = agencies[(counter + tid) % #agencies + 1]
   local values = {
      ORI = agency[1],
      LEA = string.format("%s-%d-%d", tag, tid, counter),
      UID = string.format("%s%d%07d", tag, tid, counter),
      TIME = string.format(
         "%02d:%02d:%02d", math.floor(secs / 3600), math.floor(secs / 60) % 60, secs % 60
      ),
   }
   local parts = templates[counter % #templates + 1]
   local out = {}
   for i, part in ipairs(parts) do
      out[i] = (i % 2 == 1) and part or values[part]
   end
   wrk.headers["Authorization"] = agency[2]
   return wrk.format(nil, nil, nil, table.concat(out))
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   local id = headers["learecordid"] or headers["LEARecordID"] or "-"
   answered:write(status, " ", id, "\n")
end

-- main ---------------------------------------------------------------------------------------

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         counts[#counts + 1] = string.format("[%d, %d]", status, n)
      end
   end
   local e = summary.errors
   io.write(string.format(
      'RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d}, '
         .. '"statuses": [%s]}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max,
      table.concat(counts, ", ")))
end
