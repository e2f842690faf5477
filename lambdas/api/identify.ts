import { bearerToken, secretsEqual, sha256Hex } from './auth';
import type { ApiDeps } from './deps';

/** Who a bearer token belongs to: a team, the operator, or nobody. */
export interface Identity {
  team?: string | undefined;
  admin: boolean;
}

/**
 * Resolves an `Authorization` header. Team tokens are looked up by their hash
 * (the token itself is never compared or stored); the admin token is compared
 * in constant time. Used by the API itself and by the API Gateway authorizer.
 */
export async function identify(deps: Pick<ApiDeps, 'teams' | 'adminToken'> & { now?: () => Date }, authorization: string | undefined): Promise<Identity | undefined> {
  const token = bearerToken(authorization);
  if (!token) return undefined;
  const adminToken = await deps.adminToken();
  if (adminToken && secretsEqual(token, adminToken)) return { admin: true };
  // Unknown, revoked (deleted) and expired tokens all end here.
  const team = await deps.teams.teamIdForTokenHash(sha256Hex(token), deps.now?.() ?? new Date());
  return team ? { team, admin: false } : undefined;
}
