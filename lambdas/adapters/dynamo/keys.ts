/**
 * Item keys shared by more than one store, defined once. (Each store's own
 * private keys stay with it.)
 */
export const teamPk = (team: string) => `TEAM#${team}`;

export const SUBSCRIPTION_PREFIX = 'SUB#';

/** A subscription lives in its team's partition: tenancy is part of the key. */
export const subscriptionKey = (team: string, subscriptionId: string) => ({ pk: teamPk(team), sk: `${SUBSCRIPTION_PREFIX}${subscriptionId}` });
