-- In-memory archive store for pubsub items (pubsub_data), tuned for tick nodes.
--
-- Prosody 0.12's mod_storage_memory serialises every appended stanza to Lua source
-- and compiles it back, then copies and re-indexes the whole list to enforce
-- max_items: measured 20-40 % of the publish rate of 100-200 tick items. This store
-- keeps a clone of the payload and trims from the front in O(1) amortised time.
-- It implements the archive calls mod_pubsub's archive_itemstore makes: append,
-- find ({ key?, reverse, limit }), delete ({ key } | { truncate } | everything).
--
-- A payload is kept as its serialisation, one string, and parsed again only when read
-- (an items request, a read-back after a reconnect): a stanza kept as a tree is a dozen
-- tables, and with thousands of recent items per node Lua's collector, which frees the
-- items as they are trimmed, traversed all of them in each major collection: a pause of
-- 15-25 ms of the server's only thread every second or two at 1,000 items/s, where one
-- string per item takes about a tenth of that (docs/benchmarks.md, "Latency floor").
local st = require "util.stanza";
local parse_xml = require "util.xml".parse;
local new_id = require "util.id".medium;

local NULL = {};
local stores = {};

local archive = {};
archive.__index = archive;

local function list_for(self, username)
	local u = username or NULL;
	local l = self.users[u];
	if not l then
		l = { head = 1, tail = 0, count = 0, items = {}, index = {} };
		self.users[u] = l;
	end
	return l;
end

local function drop(l, i)
	local entry = l.items[i];
	if entry then
		if l.index[entry.key] == i then l.index[entry.key] = nil; end
		l.items[i] = nil;
		l.count = l.count - 1;
	end
end

function archive:append(username, key, value, when, with)
	local l = list_for(self, username);
	key = key or new_id();
	local old = l.index[key];
	if old then drop(l, old); end -- publishing an existing id replaces the item
	l.tail = l.tail + 1;
	local stanza = st.is_stanza(value);
	l.items[l.tail] = { key = key, value = stanza and tostring(value) or value, stanza = stanza, when = when or os.time(), with = with };
	l.index[key] = l.tail;
	l.count = l.count + 1;
	return key;
end

function archive:find(username, query)
	local l = self.users[username or NULL];
	query = query or {};
	local limit = query.limit or math.huge;
	local i, step, stop = l and l.head or 1, 1, l and l.tail or 0;
	if query.reverse then i, step, stop = stop, -1, i; end
	if query.key and l then
		local at = l.index[query.key];
		i, stop = at or 0, at or -1;
	end
	local n = 0;
	return function ()
		while l and n < limit and (step > 0 and i <= stop or step < 0 and i >= stop) do
			local entry = l.items[i];
			i = i + step;
			if entry then
				n = n + 1;
				local value = entry.value;
				if entry.stanza then value = assert(parse_xml(value)); end
				return entry.key, value, entry.when, entry.with;
			end
		end
	end;
end

function archive:delete(username, query)
	if not query or next(query) == nil then
		self.users[username or NULL] = nil;
		return true;
	end
	local l = self.users[username or NULL];
	if not l then return 0; end
	local count = 0;
	if query.key then
		local at = l.index[query.key];
		if at then drop(l, at); count = count + 1; end
	end
	if query.truncate then
		-- Oldest first: advance the head past dropped and missing entries.
		while l.count > query.truncate and l.head <= l.tail do
			if l.items[l.head] then drop(l, l.head); count = count + 1; end
			l.head = l.head + 1;
		end
	end
	while l.head <= l.tail and not l.items[l.head] do l.head = l.head + 1; end
	return count;
end

local driver = {};
function driver:open(store, typ)
	if typ ~= "archive" then
		return nil, "unsupported-datastore";
	end
	local s = stores[store];
	if not s then
		s = setmetatable({ users = {} }, archive);
		stores[store] = s;
	end
	return s;
end

function driver:purge(username)
	for _, s in pairs(stores) do s.users[username or NULL] = nil; end
	return true;
end

module:provides("storage", driver);
