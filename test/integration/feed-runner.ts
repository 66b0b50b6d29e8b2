import { createFeed, createFeedMetrics, type FeedSource, type RawTick } from '@tickdesk/feed-core';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createPubsub } from '@tickdesk/xmpp';
import { connect, desk, log } from './helpers.js';

/** Run `source` through the real feed core as the feed account; returns a stopper. */
export async function runFeed(source: FeedSource) {
  const client = await connect('feed', `test-${source.name}-${Date.now()}`);
  const metrics = createFeedMetrics();
  const feed = createFeed({
    source,
    pubsub: createPubsub(client, desk().pubsubHost),
    instruments: DEFAULT_INSTRUMENTS,
    log,
    metrics,
  });
  await feed.start();
  return {
    feed,
    metrics,
    async stop() {
      await feed.stop();
      await client.stop();
    },
    async finished() {
      await feed.finished();
      await client.stop();
    },
  };
}

/** A source that hands over a fixed list of raw ticks, as a venue would. */
export function listSource(ticks: RawTick[]): FeedSource {
  let state: ReturnType<FeedSource['state']> = 'starting';
  return {
    name: 'list',
    state: () => state,
    async run(sink) {
      state = 'running';
      for (const t of ticks) if (!sink.push(t)) await sink.drain();
      state = 'stopped';
    },
  };
}
