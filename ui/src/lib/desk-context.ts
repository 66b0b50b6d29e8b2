import { getContext } from 'svelte';
import type { Desk } from './stores/desk.js';

const KEY = Symbol('desk');

/** The context to mount the app (or a component, in tests) with. */
export const deskContext = (desk: Desk): Map<unknown, unknown> => new Map([[KEY, desk]]);
export const useDesk = (): Desk => getContext<Desk>(KEY);
