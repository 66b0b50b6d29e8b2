import { createDesk, type DeskDeps } from '../lib/stores/desk.js';
import { deskRoutes, fakeFetch, type Handler } from './fake-fetch.js';
import { fakeFrames } from './fake-frames.js';
import { fakeOpen } from './fake-session.js';
import { fakeTimers, settle } from './fake-timers.js';

export { choose } from './choose-option.js';
export { deskRoutes, json } from './fake-fetch.js';
export { fakeFrames } from './fake-frames.js';
export { fakeOpen } from './fake-session.js';
export { fakeTimers, settle } from './fake-timers.js';

/** A whole desk on fakes: the composition of the fakes above, each in the module named for what it fakes. */
export function fakeDesk(overrides: Partial<DeskDeps> & { routes?: Record<string, Handler> } = {}) {
  const xmpp = fakeOpen();
  const frames = fakeFrames();
  const timers = fakeTimers();
  const http = fakeFetch({ ...deskRoutes(), ...overrides.routes });
  let visible = true;
  const visibilityHandlers: Array<() => void> = [];
  const saved: Array<{ blob: Blob; filename: string }> = [];
  let resource = 'tab1';
  const desk = createDesk({
    fetch: http.fetch,
    openSession: xmpp.open,
    service: 'ws://desk.test/xmpp-websocket',
    resource: { current: () => resource, renew: () => (resource = `${resource}x`) },
    frames: frames.frames,
    visibility: { visible: () => visible, onChange: (h) => void visibilityHandlers.push(h) },
    notifier: {},
    save: (blob, filename) => void saved.push({ blob, filename }),
    timers: timers.timers,
    random: () => 0.5,
    now: () => Date.parse('2026-11-21T10:00:00Z'),
    ...overrides,
  });
  return {
    desk,
    xmpp,
    frames,
    timers,
    http,
    saved,
    setVisible(v: boolean) {
      visible = v;
      visibilityHandlers.forEach((h) => h());
    },
    async login(jid = 'alice@desk.localhost', password = 'secret') {
      const ok = await desk.session.login(jid, password);
      await settle();
      return ok;
    },
  };
}
