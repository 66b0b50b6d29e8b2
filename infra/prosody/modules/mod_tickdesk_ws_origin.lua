-- Refuses a WebSocket upgrade (RFC 7395) from a web page of an origin that is not
-- listed: a browser always sends Origin on a WebSocket handshake (RFC 6455 §4.1), so
-- a page of another site could otherwise open a session through the user's browser
-- (§10.2). Prosody 0.12's mod_websocket checks no origin (cross_domain_websocket is
-- deprecated and ignored). A client without an Origin is not a browser and is let
-- through: it still has to authenticate with SCRAM.
--
-- websocket_allowed_origins = { "https://desk.example" }  -- default: none
-- The desk's API proxies /xmpp-websocket after checking the origin itself and does not
-- pass it on, so by default no browser page may reach this port directly.
module:set_global();

local server = require "net.http.server";

local allowed = module:get_option_set("websocket_allowed_origins", {});
local path = "/" .. module:get_option_string("websocket_path", "xmpp-websocket");

module:wrap_object_event(server._events, false, function (handlers, event_name, event_data)
	local request = event_data.request;
	if request and request.headers and request.path and request.path:sub(1, #path) == path
		and request.headers.upgrade and event_name:sub(1, 4) == "GET " then
		local origin = request.headers.origin;
		if origin and not allowed:contains(origin:lower()) then
			module:log("warn", "Refused a WebSocket from origin %q (%s)", origin:sub(1, 200), request.ip or "?");
			return 403;
		end
	end
	return handlers(event_name, event_data);
end);
