export { createSyntheticFeed, type SyntheticFeedOptions } from './synthetic-feed.js';
export { syntheticTicks, type SyntheticTicksOptions } from './synthetic-ticks.js';
export { createRandomWalk, type RandomWalk, type RandomWalkOptions } from './random-walk.js';
export { mulberry32, type Random } from './prng.js';
export { SyntheticFeedError, type SyntheticFeedErrorCode } from './errors.js';
