-- Limits failed logins (SASL, RFC 6120 §6) per client address and per account, so a
-- password cannot be guessed at the speed of the server. After `max` failures within
-- `window` seconds the address (or the account) is locked for `lockout` seconds: every
-- SASL attempt from it (or for it) is refused with <temporary-auth-failure/> (§6.5.12)
-- before any password is checked, even a right one.
--
-- The address is the client's, also behind the desk's API: mod_http takes it from
-- X-Forwarded-For when the proxy is in trusted_proxies. Addresses in
-- auth_limit_exempt_ips (the desk's own processes and the API's password check, on
-- loopback) are not locked as addresses: one wrong REST login would otherwise lock out
-- every service; their accounts still are. Accounts in unlimited_jids (services with
-- generated passwords) are not locked as accounts, so nobody can lock the desk out.
local st = require "util.stanza";
local cache = require "util.cache";
local base64 = require "util.encodings".base64;
local nodeprep = require "util.encodings".stringprep.nodeprep;
local jid_join = require "util.jid".join;

local xmlns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";

local ip_max = module:get_option_number("auth_limit_ip_max", 10);
local account_max = module:get_option_number("auth_limit_account_max", 20);
local window = module:get_option_number("auth_limit_window", 300);
local lockout = module:get_option_number("auth_limit_lockout", 300);
local tracked = module:get_option_number("auth_limit_tracked", 10000);
local exempt_ips = module:get_option_set("auth_limit_exempt_ips", { "127.0.0.1", "::1" });
local unlimited = module:get_option_set("unlimited_jids", {});

-- Bounded: the least recently failing entries are forgotten first.
local by_ip = cache.new(tracked);
local by_account = cache.new(tracked);

local function locked(entries, key)
	local e = key and entries:get(key);
	return e ~= nil and e.until_t ~= nil and os.time() < e.until_t;
end

local function fail(entries, key, max)
	if not key then return; end
	local now = os.time();
	local e = entries:get(key);
	if not e or now - e.first > window then e = { first = now, count = 0 }; end
	e.count = e.count + 1;
	if e.count >= max and not (e.until_t and now < e.until_t) then
		e.until_t = now + lockout;
		module:log("warn", "Too many failed logins for %s: locked for %d s", key, lockout);
	end
	entries:set(key, e);
end

local function ip_of(session)
	local ip = session.ip;
	if ip and not exempt_ips:contains(ip) then return ip; end
end

local function account_of(username)
	if not username then return; end
	local node = nodeprep(username);
	if node and not unlimited:contains(jid_join(node, module.host)) then return node; end
end

-- The username of a SCRAM client-first-message (RFC 5802 §7): gs2-header, then n=saslname.
local function scram_user(text)
	local decoded = text and base64.decode(text);
	local name = decoded and decoded:match("^[nyp][^,]*,[^,]*,n=([^,]*)");
	return name and name:gsub("=2C", ","):gsub("=3D", "=");
end

local function refuse(session, what)
	session.log("info", "Login refused: %s locked after too many failed attempts", what);
	session.send(st.stanza("failure", { xmlns = xmlns_sasl })
		:tag("temporary-auth-failure"):up()
		:tag("text"):text("Too many failed login attempts; try again later"));
	return true;
end

local function guard(session, username)
	if locked(by_ip, ip_of(session)) then return refuse(session, "address"); end
	if locked(by_account, account_of(username)) then return refuse(session, "account"); end
end

module:hook("stanza/urn:ietf:params:xml:ns:xmpp-sasl:auth", function (event)
	local session = event.origin;
	if session.type ~= "c2s_unauthed" then return; end
	return guard(session, scram_user(event.stanza:get_text()));
end, 100);

module:hook("stanza/urn:ietf:params:xml:ns:xmpp-sasl:response", function (event)
	local session = event.origin;
	if session.type ~= "c2s_unauthed" then return; end
	local handler = session.sasl_handler;
	if guard(session, handler and handler.username) then
		session.sasl_handler = nil;
		return true;
	end
end, 100);

module:hook("authentication-failure", function (event)
	local session = event.session;
	local handler = session.sasl_handler;
	fail(by_ip, ip_of(session), ip_max);
	fail(by_account, account_of(handler and handler.username), account_max);
end);

module:hook("authentication-success", function (event)
	local key = account_of(event.session.username);
	if key and not locked(by_account, key) then by_account:set(key, nil); end
end);
