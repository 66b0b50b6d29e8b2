import { it } from 'vitest';
it.skip('slixmpp interop (being written)', () => {});
