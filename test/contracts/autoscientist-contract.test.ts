import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetryingFetch } from '../../lambdas/adapters/http/retrying-fetch';
import { AutoScientistClient } from '../../lambdas/adapters/upstream/autoscientist-client';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { captureLogger } from '../support/logger';
import { contractProblems, fixtures } from './contracts';

/**
 * AutoScientist runs against the closed published shapes (fixtures written
 * from upstream-apis.md): the fixtures hold to them, the client reads every
 * one, and the simulator answers in them in every state its runs reach.
 */
describe('AutoScientist contract fixtures', () => {
  it.each(['autoscientist-get', 'autoscientist-list'] as const)('%s: every documented body conforms to the closed schema, and the extra-fields body does not', (endpoint) => {
    for (const [name, body] of fixtures(`adaption/${endpoint}`)) {
      if (name === 'extra-fields') expect(contractProblems(`adaption/${endpoint}`, body).some((p) => p.includes('must NOT have additional properties')), name).toBe(true);
      else expect(contractProblems(`adaption/${endpoint}`, body), name).toEqual([]);
    }
  });

  it('holds a run to the documented statuses and a page to `runs`', () => {
    expect(contractProblems('adaption/autoscientist-get', { id: 'r', status: 'paused' })).toEqual(['/status must be equal to one of the allowed values']);
    expect(contractProblems('adaption/autoscientist-list', { data: [] })).toEqual(["(body) must have required property 'runs'", '(body) must NOT have additional properties "data"']);
  });
});

describe('the simulator serves runs in the published shapes', () => {
  let simulator: UpstreamSimulator;
  beforeAll(async () => {
    simulator = await startSimulator();
    // Every state: a run walked to each step, and one to each ending.
    for (let step = 0; step <= 5; step++) {
      simulator.putRun(`as_step_${step}`, { created_at: new Date(Date.parse('2026-12-01T00:00:00Z') + step * 60_000).toISOString() });
      for (let i = 0; i < step; i++) simulator.advance(`autoscientist/as_step_${step}`);
    }
    for (const ending of ['failed', 'cancelled'] as const) {
      simulator.putRun(`as_${ending}`, {}, ending);
      for (let i = 0; i < 6; i++) simulator.advance(`autoscientist/as_${ending}`);
    }
  });
  afterAll(() => simulator.close());

  const get = async (path: string) => {
    const response = await fetch(`${simulator.url}${path}`, { headers: { authorization: `Bearer ${SIMULATOR_DEFAULTS.adaptionApiKey}` } });
    expect(response.status, path).toBe(200);
    return response.json() as Promise<Record<string, unknown>>;
  };

  it('one by one, through every status', async () => {
    const statuses = new Set<unknown>();
    for (const runId of simulator.runs.keys()) {
      const run = await get(`/api/v1/autoscientist/${runId}`);
      expect(contractProblems('adaption/autoscientist-get', run), runId).toEqual([]);
      statuses.add(run.status);
    }
    expect([...statuses].sort()).toEqual(['cancelled', 'failed', 'pending', 'running', 'succeeded']);
  });

  it('as list pages, and the client reads them all', async () => {
    const first = await get('/api/v1/autoscientist?limit=3');
    const last = await get(`/api/v1/autoscientist?limit=100&cursor=${String(first.next_cursor)}`);
    const walk = await new AutoScientistClient({ baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey, fetch: createRetryingFetch({ policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 2_000 } }), logger: captureLogger() }).walkRuns(
      new Set(simulator.runs.keys()),
    );

    expect([contractProblems('adaption/autoscientist-list', first), contractProblems('adaption/autoscientist-list', last)]).toEqual([[], []]);
    expect(last).toMatchObject({ next_cursor: null });
    expect(walk.ok && [...walk.runs.values()].every((outcome) => outcome.outcome === 'found')).toBe(true);
    expect(walk.ok && walk.runs.size).toBe(simulator.runs.size);
  });
});
