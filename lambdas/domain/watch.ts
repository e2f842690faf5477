import { createHash } from 'node:crypto';
import type { WatchEvent, WatchIdentity } from './events';
import { defaultNotifyOn, resourceKey, type ResourceRef, type TrackedField } from './resource';
import type { Snapshot } from './snapshot';

export type WatchState = 'active' | 'gone';

export interface LastError {
  kind: string;
  message: string;
  at: string;
}

/** A registered watch as the poller sees it. */
export interface Watch extends WatchIdentity {
  notifyOn: TrackedField[];
  /** Whole minutes a running resource may stand still before `resource.stalled`; null: off (see stall.ts). */
  stalledAfterMinutes: number | null;
  paused: boolean;
  state: WatchState;
  /** Last known state of the resource; null until the first successful poll (the baseline). */
  snapshot: Snapshot | null;
  /**
   * Optimistic-lock counter. Every write that changes what the watch has
   * announced bumps it, and event ids derive from it.
   */
  version: number;
  /** Events committed with the snapshot but not yet confirmed published. */
  outbox: WatchEvent[];
  consecutiveFailures: number;
  lastError: LastError | null;
  lastPolledAt: string | null;
  /** When the poller last committed a change of the resource (an event it announced); absent before the first. */
  lastChangeAt?: string | null | undefined;
  /** When the current run of failed polls began; absent while polls work. */
  failingSince?: string | null | undefined;
  createdAt: string;
}

/** Whether the poller should fetch this watch's resource. */
export function isPollable(watch: Pick<Watch, 'paused' | 'state'>): boolean {
  return !watch.paused && watch.state === 'active';
}

export interface NewWatch {
  watchId: string;
  team: string;
  resource: ResourceRef;
  notifyOn?: TrackedField[] | undefined;
  label?: string | null | undefined;
  stalledAfterMinutes?: number | null | undefined;
}

/** A watch as registered: no baseline yet, so its first poll records one silently. */
export function createWatch(input: NewWatch, now: Date): Watch {
  return {
    watchId: input.watchId,
    team: input.team,
    label: input.label ?? null,
    resource: input.resource,
    notifyOn: input.notifyOn ?? defaultNotifyOn(input.resource.type),
    stalledAfterMinutes: input.stalledAfterMinutes ?? null,
    paused: false,
    state: 'active',
    snapshot: null,
    version: 0,
    outbox: [],
    consecutiveFailures: 0,
    lastError: null,
    lastPolledAt: null,
    createdAt: now.toISOString(),
  };
}

/**
 * The id of a team's watch on a resource. Derived, not random: the watch item
 * is keyed by it, so one conditional put makes a second watch of the same
 * (team, resource) impossible, however many requests race. A watch deleted
 * and created again keeps its id and continues its version, so no event id
 * is ever issued twice.
 */
export function watchIdFor(team: string, resource: ResourceRef): string {
  return `w_${createHash('sha256').update(`${team}\n${resourceKey(resource)}`).digest('hex').slice(0, 24)}`;
}
