-- Server-to-server links with the federated domains only (the peer desks and their pubsub
-- services): Prosody 0.12 has no s2s allow-list of its own. A stanza for any other
-- domain opens no link and bounces with remote-server-not-found (RFC 6120 §8.3.3.13); a
-- link from any other domain is closed with policy-violation once its certificate has
-- been checked (TLS is required, so before any stanza is accepted).
--
-- tickdesk_federated_domains = { "deskb.example", "pubsub.deskb.example" }
--
-- Loaded on each host whose links it guards: the VirtualHost (global modules_enabled)
-- and the pubsub component (its own modules_enabled: components inherit few modules).
local st = require "util.stanza";

local federated = module:get_option_set("tickdesk_federated_domains", {});

module:hook("route/remote", function (event)
	local to_host, stanza = event.to_host, event.stanza;
	if federated:contains(to_host) then return; end -- on to mod_s2s
	module:log("info", "No link to %s (not a federated domain): %s from %s refused", to_host, stanza.name,
		tostring(stanza.attr.from));
	local kind = stanza.attr.type;
	if (stanza.name == "message" or stanza.name == "iq") and kind ~= "error" and kind ~= "result" then
		module:send(st.error_reply(stanza, "cancel", "remote-server-not-found",
			"No server-to-server link with " .. to_host .. ": not a federated domain"));
	end
	return true;
end, 100);

-- After mod_s2s_auth_certs has checked the chain and the name (priority 509), before
-- mod_s2s's own policy (-1).
module:hook_global("s2s-check-certificate", function (event)
	local session, remote = event.session, event.host;
	local local_host = session.direction == "outgoing" and session.from_host or session.to_host;
	if local_host ~= module.host then return; end
	if remote and federated:contains(remote) then return; end
	(session.log or module._log)("warn", "Refusing the s2s link %s %s: not a federated domain",
		session.direction == "outgoing" and "to" or "from", tostring(remote or session.ip));
	session:close({ condition = "policy-violation", text = "Not a federated domain" }, nil,
		"Not a federated domain");
	return false;
end, 100);
