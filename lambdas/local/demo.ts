import type { WatchStore } from '../adapters/dynamo/watch-store';
import type { ResourceRef } from '../domain/resource';
import { createWatch } from '../domain/watch';
import type { UpstreamSimulator } from './simulator/simulator';

export const DEMO_TEAM = 'demo';

const DEMO_WATCHES: Array<{ watchId: string; label: string; resource: ResourceRef }> = [
  { watchId: 'demo-dataset', label: 'Demo dataset (simulated)', resource: { type: 'dataset', datasetId: 'ds_demo_1' } },
  { watchId: 'demo-correction', label: 'Demo correction session (simulated)', resource: { type: 'correction_session', projectId: 1, correctionId: 1 } },
];

/** Puts the demo resources in the simulator and registers watches on them (once). */
export async function seedDemo(simulator: UpstreamSimulator, store: WatchStore, now: Date): Promise<number> {
  simulator.putDataset('ds_demo_1', { name: 'Support tickets Q4' });
  simulator.putCorrection(1, 1, { name: 'Review of low-confidence tickets' });
  let created = 0;
  for (const demo of DEMO_WATCHES) {
    if (await store.getWatch(demo.watchId)) continue;
    await store.putWatch(createWatch({ ...demo, team: DEMO_TEAM }, now));
    created += 1;
  }
  return created;
}
