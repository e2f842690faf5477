import { writeFile } from 'node:fs/promises';
import { TeamExistsError, type TeamStore } from '../adapters/dynamo/team-store';
import type { WatchStore } from '../adapters/dynamo/watch-store';
import { newTeamToken, sha256Hex } from '../api/auth';
import type { ResourceRef, TrackedField } from '../domain/resource';
import { createWatch, watchIdFor } from '../domain/watch';
import type { UpstreamSimulator } from './simulator/simulator';

export const DEMO_TEAM = 'demo';

const DEMO_WATCHES: Array<{ label: string; resource: ResourceRef; notifyOn?: TrackedField[] }> = [
  { label: 'Demo dataset (simulated)', resource: { type: 'dataset', datasetId: 'ds_demo_1' } },
  { label: 'Demo correction session (simulated)', resource: { type: 'correction_session', projectId: 1, correctionId: 1 } },
  // Its win rate too, so the demo tells each iteration's improvement, not only the outcome.
  { label: 'Demo training run (simulated)', resource: { type: 'autoscientist_run', runId: 'as_run_demo_1' }, notifyOn: ['status', 'winRate'] },
];

/**
 * Puts the demo resources in the simulator and registers watches on them for
 * a `demo` team (once). The team's token is written to `tokenFile`, so the
 * demo watches can be read through the watch API.
 */
export async function seedDemo(simulator: UpstreamSimulator, store: WatchStore, teams: TeamStore, now: Date, tokenFile: string): Promise<number> {
  const token = newTeamToken();
  try {
    await teams.createTeam({ id: DEMO_TEAM, name: DEMO_TEAM, createdAt: now.toISOString() }, sha256Hex(token));
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  } catch (error) {
    if (!(error instanceof TeamExistsError)) throw error;
  }
  if (!simulator.datasets.has('ds_demo_1')) simulator.putDataset('ds_demo_1', { name: 'Support tickets Q4' });
  if (!simulator.corrections.has('1/1')) simulator.putCorrection(1, 1, { name: 'Review of low-confidence tickets' });
  if (!simulator.runs.has('as_run_demo_1')) simulator.putRun('as_run_demo_1', { dataset_id: 'ds_demo_1', max_iterations: 3, target_win_rate: 0.8 });
  let created = 0;
  for (const demo of DEMO_WATCHES) {
    const { created: registered } = await store.registerWatch(
      createWatch({ ...demo, watchId: watchIdFor(DEMO_TEAM, demo.resource), team: DEMO_TEAM }, now),
    );
    if (registered) created += 1;
  }
  return created;
}
