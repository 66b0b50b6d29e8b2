-- Delivers the pubsub service's event notifications (XEP-0060 §7.1.2.1) to local
-- sessions directly, as mod_message would, without the archive (mod_mam) and carbons
-- (mod_carbons) handlers in between.
--
-- A profile of Prosody at 40 subscribers x 10,000 ticks/s (docs/benchmarks.md,
-- fan-out) put 15 % of its Lua work in mod_carbons and 8 % in mod_mam for these
-- notifications, though neither ever acts on them: a headline is never archived
-- (mod_mam's should_store: "Headline messages are ephemeral by definition") nor
-- copied (mod_carbons' should_copy: not chat, no body, no stanza-id). Blocking
-- (mod_blocklist, priority 100) still runs before this handler (priority 50).
-- Anything else (other types, other senders, more than the <event/>) takes the
-- usual path.
--
-- mod_pubsub sends one clone of the notification per subscriber, differing only in
-- 'to'; serialising each took about 40 % of the rest. A session with no outgoing
-- stanza filter (no stream management, no CSI buffering, not a WebSocket) gets the
-- bytes of the first clone with its own 'to': session.send of a string skips only
-- the (empty) stanza filters, so what it writes is the same stanza.
local full_sessions = prosody.full_sessions;
local bare_sessions = prosody.bare_sessions;
local xml_escape = require "util.stanza".xml_escape;

local xmlns_pubsub_event = "http://jabber.org/protocol/pubsub#event";
local pubsub_host = module:get_option_string("tickdesk_pubsub_host", "pubsub." .. module.host);

local function is_notification(stanza)
	if stanza.attr.from ~= pubsub_host or stanza.attr.type ~= "headline" then return false; end
	local tags = stanza.tags;
	return #tags == 1 and tags[1].name == "event" and tags[1].attr.xmlns == xmlns_pubsub_event;
end

-- Serialised once per notification (every clone carries the broadcast's id), 'to' left out.
local cached_id, cached_rest;
local function send(session, stanza)
	local filters = session.filters;
	local out = filters and filters["stanzas/out"];
	if out and #out > 0 then return session.send(stanza); end
	local id = stanza.attr.id;
	if id == nil then return session.send(stanza); end
	if id ~= cached_id then
		local to = stanza.attr.to;
		stanza.attr.to = nil;
		local bytes = tostring(stanza);
		stanza.attr.to = to;
		if bytes:sub(1, 9) ~= "<message " then return session.send(stanza); end
		cached_id, cached_rest = id, bytes:sub(9);
	end
	return session.send("<message to='" .. xml_escape(stanza.attr.to) .. "'" .. cached_rest);
end

-- As mod_message's "message/full": to that session, or (resource gone) the bare path.
module:hook("message/full", function (event)
	local stanza = event.stanza;
	if not is_notification(stanza) then return; end
	local session = full_sessions[stanza.attr.to];
	if session and send(session, stanza) then return true; end
end, 50);

-- As mod_message's process_to_bare for a headline: every available resource of
-- non-negative priority (RFC 6121 §8.5.2.1.1), and dropped when there is none.
module:hook("message/bare", function (event)
	local stanza = event.stanza;
	if not is_notification(stanza) then return; end
	local user = bare_sessions[stanza.attr.to];
	if user then
		for _, session in pairs(user.sessions) do
			if session.presence and session.priority >= 0 then
				send(session, stanza);
			end
		end
	end
	return true;
end, 50);
