-- Sends server-to-server links for listed domains to a fixed host and port instead of
-- the DNS SRV lookup of RFC 6120 §3.2.1, so that two desks peer on one machine or a
-- private network without DNS records or /etc/hosts entries. TLS still verifies the
-- peer's certificate for the domain (mod_s2s checks the stream's to_host, not the
-- address connected to), and certificate authentication is still required.
--
-- s2sout_override = { ["deskb.example"] = "tcp://10.0.0.2:5269" }
--
-- The option has the shape of prosody-modules' mod_s2sout_override, which needs the
-- s2sout-pre-connect event of Prosody 0.12.4; on 0.12.3 mod_s2s builds its resolver
-- with net.resolvers.service's new() at each new link, so this module wraps that
-- function (the module table is shared by require). On 0.12.4 or later, load
-- "s2sout_override" instead and keep the option.
module:set_global();

local service = require "net.resolvers.service";
local basic = require "net.resolvers.basic";
local manual = require "net.resolvers.manual";
local url = require "socket.url";

local targets = {};
for domain, uri in pairs(module:get_option("s2sout_override", {})) do
	local u = type(uri) == "string" and url.parse(uri);
	if u and u.scheme == "tcp" and u.host and tonumber(u.port) then
		targets[domain] = { host = u.host, port = tonumber(u.port) };
	else
		module:log("error", "s2sout_override[%q] = %q is not tcp://host:port; ignored", domain, tostring(uri));
	end
end

local original_new = service.new;
local function new(hostname, service_name, conn_type, extra)
	local target = targets[hostname];
	if not target then
		return original_new(hostname, service_name, conn_type, extra);
	end
	-- XEP-0368 (xmpps-server, TLS from the first byte) is tried first when mod_s2s has a TLS
	-- context: nothing there, so the link is made with STARTTLS on the fixed port.
	if service_name ~= "xmpp-server" then
		return manual.new({}, conn_type, extra);
	end
	module:log("debug", "s2s link to %s goes to %s:%d", hostname, target.host, target.port);
	return basic.new(target.host, target.port, conn_type, extra);
end
service.new = new;

function module.unload()
	if service.new == new then service.new = original_new; end
end
