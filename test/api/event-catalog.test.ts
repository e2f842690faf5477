import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SCHEMAS, NOTICE_SCHEMAS } from '../../lambdas/domain/event-schema';
import { EVENT_TYPES } from '../../lambdas/domain/events';
import { FILTERABLE_EVENT_TYPES } from '../../lambdas/domain/subscription';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let api: Awaited<ReturnType<typeof apiHarness>>;
beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
  api = await apiHarness(dynamo, simulator);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});

const SCHEMAS = { ...EVENT_SCHEMAS, ...NOTICE_SCHEMAS };

interface CatalogEntry {
  type: string;
  filterName: string | null;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

describe('GET /v1/event-types', () => {
  it('lists every event type without a token: description, JSON Schema and an example that the schema accepts', async () => {
    const result = await api.call('GET', '/v1/event-types');
    const items = (result.json as { items: CatalogEntry[] }).items;

    expect(result.status).toBe(200);
    expect(items.map((item) => item.type).sort()).toEqual([...Object.values(EVENT_TYPES), 'io.watchpost.subscription.disabled'].sort());
    const ajv = new Ajv2020({ strict: false });
    for (const item of items) {
      expect(item.description.length).toBeGreaterThan(10);
      // The published JSON Schema and the zod schema deliveries are checked with both accept the example.
      const validate = ajv.compile(item.schema);
      expect(validate(item.example), `${item.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(SCHEMAS[item.type as keyof typeof SCHEMAS].safeParse(item.example).success).toBe(true);
      expect(item.example.type).toBe(item.type);
    }
  });

  it('names each type as subscription filters do, and its JSON Schema tells the types apart', async () => {
    const items = ((await api.call('GET', '/v1/event-types')).json as { items: CatalogEntry[] }).items;
    const ajv = new Ajv2020({ strict: false });

    expect(items.map((item) => item.filterName).filter((name) => name !== null).sort()).toEqual([...FILTERABLE_EVENT_TYPES].sort());
    for (const item of items) expect(item.filterName).toBe(item.type.startsWith('io.watchpost.subscription.') ? null : item.type.replace('io.watchpost.', ''));
    const example = (type: string) => items.find((item) => item.type === type)!.example as { subject: string; data: { changes: unknown[]; current: unknown; failure?: { kind: string } } };
    expect(example(EVENT_TYPES.changed).data.changes).toEqual([
      { field: 'status', from: 'running', to: 'succeeded' },
      { field: 'grade', from: null, to: 'B' },
    ]);
    expect(example(EVENT_TYPES.gone).data.current).toBeNull();
    expect(example(EVENT_TYPES.failing).data.failure?.kind).toBe('unavailable');
    expect(example(EVENT_TYPES.recovered).data.changes).toEqual([]);
    expect(example(EVENT_TYPES.changed).subject).toBe('datasets/ds_42');
    for (const item of items) expect(item.description).toBe(SCHEMAS[item.type as keyof typeof SCHEMAS].description);
    const notice = example('io.watchpost.subscription.disabled') as unknown as { subject: string; data: { target: string; reason: string } };
    expect(notice).toMatchObject({ subject: 'subscriptions/sub_9b1e4c7d2a', data: { target: 'hooks.example.com', reason: 'failing' } });
    const changed = items.find((item) => item.type === EVENT_TYPES.changed);
    const gone = items.find((item) => item.type === EVENT_TYPES.gone);
    expect(ajv.compile(changed!.schema)(gone!.example)).toBe(false);
    expect((changed!.example as { data: { changes: unknown[] } }).data.changes.length).toBeGreaterThan(0);
  });
});
