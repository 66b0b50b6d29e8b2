// Tests draw their seeded streams from the synthetic feed's generator (mulberry32), so a failing seed replays
// the same way everywhere; the feed package is a dependency of the root workspace, not of the services.
export { mulberry32 } from '@tickdesk/feed-synthetic';
