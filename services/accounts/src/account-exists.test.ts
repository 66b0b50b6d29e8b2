import { describe, expect, it } from 'vitest';
import { XmppError } from '@tickdesk/xmpp';
import { accountExists } from './accounts.js';

describe('accountExists (XEP-0133 add-user of an existing account)', () => {
  it("is the <conflict/> condition (ejabberd) or Prosody's error note, nothing else", () => {
    expect(accountExists(new XmppError('TICKDESK_XMPP_STANZA_ERROR', 'ad-hoc add-user: conflict', 'conflict'))).toBe(
      true,
    );
    expect(
      accountExists(
        new XmppError('TICKDESK_XMPP_STANZA_ERROR', 'ad-hoc add-user: Account already exists', 'bad-request'),
      ),
    ).toBe(true);
    expect(accountExists(new XmppError('TICKDESK_XMPP_STANZA_ERROR', 'ad-hoc add-user: forbidden', 'forbidden'))).toBe(
      false,
    );
    expect(
      accountExists(new XmppError('TICKDESK_XMPP_STANZA_ERROR', 'ad-hoc add-user: Invalid JID', 'bad-request')),
    ).toBe(false);
    expect(accountExists(new Error('conflict'))).toBe(false);
  });
});
