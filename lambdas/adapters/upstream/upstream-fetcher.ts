import type { FetchOutcome, ListFailure, Logger, ResourceFetcher, ResourceLister } from '../../domain/ports';
import type { ListedDataset } from '../../domain/sweep-plan';
import type { ResourceRef, ResourceType } from '../../domain/resource';
import { createRetryingFetch, type RetryPolicy } from '../http/retrying-fetch';
import { AdaptionClient } from './adaption-client';
import { AutoScientistClient, type RunWalk } from './autoscientist-client';
import { DeepOpinionAuth, type DeepOpinionCredentials } from './deepopinion-auth';
import { DeepOpinionClient } from './deepopinion-client';
import { failed, trimBaseUrl } from './response';

export interface UpstreamSettings {
  adaption: { baseUrl: string; apiKey: string | undefined };
  deepOpinion: { baseUrl: string; credentials: DeepOpinionCredentials | undefined };
  retry: RetryPolicy;
  /** Upstream bodies over this many bytes are not read. */
  maxBodyBytes?: number;
}

const NO_ADAPTION_KEY = failed('credentials', 'no Adaption Labs API key is configured (ADAPTION_API_KEY)');

/** Routes each resource, and each list request, to its provider's client. */
export class UpstreamFetcher implements ResourceFetcher, ResourceLister {
  constructor(
    private readonly adaption: AdaptionClient | undefined,
    private readonly deepOpinion: DeepOpinionClient | undefined,
    private readonly autoScientist: AutoScientistClient | undefined = undefined,
  ) {}

  static create(settings: UpstreamSettings, logger: Logger): UpstreamFetcher {
    const fetch = createRetryingFetch({ policy: settings.retry });
    const adaption = settings.adaption.apiKey
      ? new AdaptionClient({ baseUrl: settings.adaption.baseUrl, apiKey: settings.adaption.apiKey, fetch, logger, maxBodyBytes: settings.maxBodyBytes })
      : undefined;
    const credentials = settings.deepOpinion.credentials;
    const deepOpinion = credentials
      ? new DeepOpinionClient({
          baseUrl: settings.deepOpinion.baseUrl,
          auth: new DeepOpinionAuth({ baseUrl: trimBaseUrl(settings.deepOpinion.baseUrl), credentials, fetch }),
          fetch,
          logger,
          maxBodyBytes: settings.maxBodyBytes,
        })
      : undefined;
    // AutoScientist is Adaption's: the same API key reads it.
    const autoScientist = settings.adaption.apiKey
      ? new AutoScientistClient({ baseUrl: settings.adaption.baseUrl, apiKey: settings.adaption.apiKey, fetch, logger, maxBodyBytes: settings.maxBodyBytes })
      : undefined;
    return new UpstreamFetcher(adaption, deepOpinion, autoScientist);
  }

  /** One single-GET route per resource type: the compiler asks for a route when a type is added. */
  private readonly routes: { [T in ResourceType]: (ref: Extract<ResourceRef, { type: T }>, signal: AbortSignal | undefined) => Promise<FetchOutcome> } = {
    dataset: (ref, signal) => (this.adaption ? this.adaption.fetchDataset(ref, signal) : Promise.resolve(NO_ADAPTION_KEY)),
    correction_session: (ref, signal) =>
      this.deepOpinion
        ? this.deepOpinion.fetchCorrectionSession(ref, signal)
        : Promise.resolve(failed('credentials', 'no DeepOpinion credentials are configured (DEEPOPINION_TOKEN or DEEPOPINION_EMAIL/PASSWORD)')),
    autoscientist_run: (ref, signal) => (this.autoScientist ? this.autoScientist.fetchRun(ref, signal) : Promise.resolve(NO_ADAPTION_KEY)),
  };

  fetchState(resource: ResourceRef, options: { signal?: AbortSignal | undefined } = {}): Promise<FetchOutcome> {
    const route = this.routes[resource.type] as (ref: ResourceRef, signal: AbortSignal | undefined) => Promise<FetchOutcome>;
    return route(resource, options.signal);
  }

  listProjectSessions(projectId: number, options: { signal?: AbortSignal | undefined } = {}): Promise<{ ok: true; sessions: Map<number, FetchOutcome> } | ListFailure> {
    if (!this.deepOpinion) return Promise.resolve({ ok: false, error: { kind: 'credentials', message: 'no DeepOpinion credentials are configured' } });
    return this.deepOpinion.listProjectSessions(projectId, options.signal);
  }

  sweepDatasets(
    floor: string | null,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<{ ok: true; datasets: Map<string, ListedDataset>; newest: string | null; requests: number } | ListFailure> {
    if (!this.adaption) return Promise.resolve({ ok: false, error: { kind: 'credentials', message: 'no Adaption Labs API key is configured' } });
    return this.adaption.sweepDatasets(floor, options.signal);
  }

  walkRuns(wanted: ReadonlySet<string>, options: { signal?: AbortSignal | undefined } = {}): Promise<RunWalk | ListFailure> {
    if (!this.autoScientist) return Promise.resolve({ ok: false, error: { kind: 'credentials', message: 'no Adaption Labs API key is configured' } });
    return this.autoScientist.walkRuns(wanted, options.signal);
  }

  /** The newest AutoScientist run of a dataset (registration's `latest: true`). */
  latestRunOf(datasetId: string, options: { signal?: AbortSignal | undefined } = {}): Promise<{ ok: true; runId: string | undefined } | ListFailure> {
    if (!this.autoScientist) return Promise.resolve({ ok: false, error: { kind: 'credentials', message: 'no Adaption Labs API key is configured' } });
    return this.autoScientist.latestRunOf(datasetId, options.signal);
  }
}
