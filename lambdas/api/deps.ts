import type { Channel } from '../domain/subscription';
import type { ConsoleAssets } from '../console/assets';
import type { CursorSigner } from '../adapters/dynamo/cursor';
import type { DeliveryStore } from '../adapters/dynamo/delivery-store';
import type { SubscriptionStore } from '../adapters/dynamo/subscription-store';
import type { EmailSubscriptions } from '../adapters/sns/email-subscriptions';
import type { DeliveryService } from '../delivery/delivery-service';
import type { TeamStore } from '../adapters/dynamo/team-store';
import type { TeamQuota } from '../adapters/dynamo/team-quota';
import type { WatchStore } from '../adapters/dynamo/watch-store';
import type { LatestRunFinder, Logger, ResourceFetcher, SecretBox } from '../domain/ports';
import type { ResourceType } from '../domain/resource';

/** Everything the watch API's routes need, built once per process. */
export interface ApiDeps {
  watches: WatchStore;
  teams: TeamStore;
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  delivery: DeliveryService;
  emails: EmailSubscriptions;
  /** Channels `POST /v1/subscriptions/{id}/test` can send to from here. */
  testableChannels: Channel[];
  /** Reads a resource at registration, and finds a dataset's newest run for `latest: true`. */
  fetcher: ResourceFetcher & LatestRunFinder;
  /**
   * How long a route may spend on an upstream (credentials, fetch, retries)
   * before it answers 503 + Retry-After: well inside the function's timeout,
   * so the answer and the quota's release always happen.
   */
  upstreamDeadlineMs: number;
  /** Whether an upstream has credentials at all (a missing one is not a passing outage). */
  upstreamConfigured: (type: ResourceType) => Promise<boolean>;
  /** Where an operator sets them, for the problem that says so. */
  credentialsHint: string;
  /** Signs the pagination cursors the API hands out and checks those it is given. */
  cursors: CursorSigner;
  /** Seals webhook signing secrets before they are stored. */
  secrets: SecretBox;
  logger: Logger;
  /** The operator token for /v1/admin routes; undefined disables them. */
  adminToken: () => Promise<string | undefined>;
  limits: { watchesPerTeam: number; subscriptionsPerTeam: number };
  /** Exact per-team limits (conditional counters). */
  quota: TeamQuota;
  /** Local development only: admit http:// receivers on loopback. */
  allowPrivateWebhooks: boolean;
  /** `npm run test:aws` only: its own loopback receivers, admitted outside Lambda (adapters/http/test-receivers.ts). */
  testReceivers?: ((url: string) => boolean) | undefined;
  /** The built console served under /console; absent or undefined: not served here. */
  consoleAssets?: (() => Promise<ConsoleAssets | undefined>) | undefined;
  /** Local runtime only: how to admit a loopback receiver, said when one is refused. */
  privateWebhooksHint?: string | undefined;
  now: () => Date;
}
