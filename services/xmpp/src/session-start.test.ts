import { describe, expect, it } from 'vitest';
import { XmppError } from './errors.js';
import { describeStartError } from './session-start.js';

const where = { who: 'feed@desk.localhost', service: 'xmpp://127.0.0.1:5222' };
const saslError = (condition: string, message = condition) =>
  Object.assign(new Error(message), { name: 'SASLError', condition });

describe('a failed start is told with a stable code and what to do', () => {
  it('a refused login names the account, the condition and the credentials file', () => {
    const e = describeStartError(saslError('not-authorized'), where);
    expect(e).toBeInstanceOf(XmppError);
    expect(e).toMatchObject({ code: 'TICKDESK_XMPP_AUTH_FAILED', condition: 'not-authorized' });
    expect(e.message).toContain('feed@desk.localhost refused (not-authorized): check the password');
    expect(describeStartError(saslError('invalid-mechanism', 'no SCRAM-SHA-1'), where).message).toBe(
      'XMPP login as feed@desk.localhost impossible: no SCRAM-SHA-1',
    );
  });

  it('an unreachable server or an untrusted certificate names the service', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(describeStartError(refused, where)).toMatchObject({
      code: 'TICKDESK_XMPP_UNREACHABLE',
      message: 'XMPP server at xmpp://127.0.0.1:5222 unreachable (ECONNREFUSED): is it running?',
    });
    const untrusted = Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(describeStartError(untrusted, where)).toMatchObject({ code: 'TICKDESK_XMPP_TLS_FAILED' });
  });

  it('keeps an XmppError as it is, and calls anything else a failed start', () => {
    const own = new XmppError('TICKDESK_XMPP_NOT_CONNECTED', 'not connected');
    expect(describeStartError(own, where)).toBe(own);
    expect(describeStartError(new Error('Connection is not offline'), where)).toMatchObject({
      code: 'TICKDESK_XMPP_UNREACHABLE',
      message: 'XMPP start as feed@desk.localhost failed: Connection is not offline',
    });
  });
});
