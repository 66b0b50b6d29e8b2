import { describe, expect, it } from 'vitest';
import { ejabberdNodeName, renderEjabberdConfig, type EjabberdOptions } from './ejabberd-config.js';

const base: EjabberdOptions = {
  dir: '/tmp/desk/ejabberd',
  domain: 'desk.localhost',
  c2sPort: 5222,
  c2sDirectTlsPort: 5223,
  httpPort: 5280,
  distPort: 5210,
  certs: { dir: '/tmp/certs' } as EjabberdOptions['certs'],
  admins: ['admin@desk.localhost'],
  pubsubAdmins: ['feed@desk.localhost', 'admin@desk.localhost'],
  unlimited: ['feed@desk.localhost', 'alerts@desk.localhost'],
};

describe('ejabberd config', () => {
  it('gives users what Prosody gives them: TLS required, SCRAM only, no registration, archive on SQLite, limits', () => {
    const cfg = renderEjabberdConfig(base);
    expect(cfg).not.toContain('{{');
    expect(cfg).toMatch(/starttls_required: true/);
    expect(cfg).toMatch(/^auth_password_format: scram$/m);
    expect(cfg).toMatch(/disable_sasl_mechanisms:\n {2}- "PLAIN"/);
    expect(cfg).toMatch(/register:\n {4}deny: all/);
    expect(cfg).not.toMatch(/mod_register/);
    expect(cfg).toMatch(/^sql_database: "\/tmp\/desk\/ejabberd\/sql\/ejabberd\.db"$/m);
    expect(cfg).toMatch(/mod_mam:\n {4}db_type: sql/);
    expect(cfg).toMatch(/max_stanza_size: 524288/);
    expect(cfg).toMatch(/ip: "127\.0\.0\.1"/);
    expect(cfg).not.toMatch(/ip: "(::|0\.0\.0\.0)"/);
    expect(cfg).toMatch(/c2s_max_auth_failures: 10\n {4}c2s_auth_ban_lifetime: 300/);
    expect(cfg).toMatch(/fail2ban_exempt:\n {4}ip:\n {6}- "127\.0\.0\.1"\n {6}- "::1"/);
    expect(cfg).toMatch(/pubsub_creators:\n {4}user:\n {6}- "feed"\n {6}- "admin"/);
    expect(cfg).toMatch(/services:\n {4}user:\n {6}- "feed"\n {6}- "alerts"/);
    expect(cfg).toMatch(/c2s_shaper:\n {4}none: services\n {4}normal: all/);
    // No page origin is listed: every page origin is refused at ejabberd's own port.
    expect(cfg).toMatch(/websocket_origin:\n {2}- "http:\/\/websocket-origin\.invalid"/);
  });

  it('takes listed origins and other limits, and refuses a limit that is not a positive integer', () => {
    const cfg = renderEjabberdConfig({
      ...base,
      authLimit: { ipMax: 3, lockoutS: 60 },
      websocketOrigins: ['https://desk.example'],
    });
    expect(cfg).toMatch(/c2s_max_auth_failures: 3\n {4}c2s_auth_ban_lifetime: 60/);
    expect(cfg).toMatch(/websocket_origin:\n {2}- "https:\/\/desk\.example"/);
    expect(() => renderEjabberdConfig({ ...base, authLimit: { ipMax: 0 } })).toThrow(RangeError);
  });

  it('names the node after the desk folder: stable for one desk, distinct between desks', () => {
    expect(ejabberdNodeName('/a/ejabberd')).toBe(ejabberdNodeName('/a/ejabberd'));
    expect(ejabberdNodeName('/a/ejabberd')).not.toBe(ejabberdNodeName('/b/ejabberd'));
    expect(ejabberdNodeName('/a/ejabberd')).toMatch(/^tickdesk-[0-9a-f]{10}@localhost$/);
  });
});
