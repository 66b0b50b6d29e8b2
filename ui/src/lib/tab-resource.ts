const KEY = 'tickdesk.resource';

function randomResource(): string {
  const bytes = new Uint8Array(4);
  crypto.getRandomValues(bytes);
  return `dashboard-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * This tab's XMPP resource, kept for the tab's lifetime (sessionStorage survives a
 * reload), so a reload or reconnect binds the same full JID and its pubsub
 * subscriptions are the same ones, not new ones left behind.
 */
export function tabResource(storage: Pick<Storage, 'getItem' | 'setItem'> | undefined) {
  let resource = storage?.getItem(KEY) ?? randomResource();
  storage?.setItem(KEY, resource);
  return {
    current: () => resource,
    /** Another session took this resource (a duplicated tab): pick a new one. */
    renew(): string {
      resource = randomResource();
      storage?.setItem(KEY, resource);
      return resource;
    },
  };
}
