-- A sampling profile of a running Prosody's Lua work, for the fan-out benchmark
-- (docs/benchmarks.md, "Where Prosody's time goes"). Load it into a bench desk's
-- Prosody through its admin socket while a case runs:
--   prosodyctl --config <desk>/prosody/prosody.cfg.lua shell '>dofile("/work/main/test/bench/prosody-lua-profile.lua")'  -- an absolute path
--   prosodyctl --config … shell '>rawget(_G,"tdprof_reset")()'         -- start of the window
--   prosodyctl --config … shell '>rawget(_G,"tdprof_dump")("/tmp/p.txt")'  -- end of the window
-- A count hook every N Lua VM instructions on the main thread (util.async runner
-- threads made later inherit it, and coroutine.create is wrapped for the rest):
-- shares are of Lua instructions, not of time (C work such as TLS, string building
-- and malloc is not sampled), which makes them independent of the machine's load.
-- It also counts the pubsub notifications to bare JIDs of desk.localhost and their ticks,
-- so the dump gives Lua instructions per notification.
local N = 1000
local self_counts, incl_counts, total = {}, {}, 0
local notes, ticks = 0, 0
prosody.hosts['desk.localhost'].events.add_handler('message/bare', function(e)
  local s = e.stanza
  if s.attr.from == 'pubsub.desk.localhost' then
    notes = notes + 1
    local ev = s.tags[1]; local items = ev and ev.tags[1]; local item = items and items.tags[1]; local t = item and item.tags[1]
    if t and t.attr.count then ticks = ticks + tonumber(t.attr.count) end
  end
end, 1000)
local getinfo = debug.getinfo
local function hook()
  total = total + 1
  local info = getinfo(2, "Sl")
  if info then
    local k = info.short_src .. ":" .. (info.currentline or 0)
    self_counts[k] = (self_counts[k] or 0) + 1
  end
  local seen = {}
  for level = 2, 25 do
    local f = getinfo(level, "S")
    if not f then break end
    local k = f.short_src .. ":" .. f.linedefined
    if not seen[k] then seen[k] = true; incl_counts[k] = (incl_counts[k] or 0) + 1 end
  end
end
local main = debug.getregistry()[1]
debug.sethook(main, hook, "", N)

local orig_create = coroutine.create
coroutine.create = function(f) local co = orig_create(f); debug.sethook(co, hook, "", N); return co end
local function tdprof_dump(path)
  local function top(t, n)
    local arr = {}
    for k, v in pairs(t) do arr[#arr + 1] = { k, v } end
    table.sort(arr, function(a, b) return a[2] > b[2] end)
    local out = {}
    for i = 1, math.min(n, #arr) do out[#out + 1] = string.format("%6.2f%%  %s", 100 * arr[i][2] / total, arr[i][1]) end
    return table.concat(out, "\n")
  end
  local fh = io.open(path, "w")
  fh:write("samples ", total, " notifications ", notes, " ticks ", ticks, " kinstr/notification ", string.format("%.1f", total * N / 1000 / math.max(1, notes)), "\n== inclusive (function) ==\n", top(incl_counts, 60), "\n== self (line) ==\n", top(self_counts, 60), "\n")
  fh:close()
  return total
end
local function tdprof_reset() self_counts, incl_counts, total, notes, ticks = {}, {}, 0, 0, 0 end
rawset(_G, 'tdprof_dump', tdprof_dump)
rawset(_G, 'tdprof_reset', tdprof_reset)
return "installed"
