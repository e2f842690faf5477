import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Opaque pagination cursors: DynamoDB's LastEvaluatedKey as base64url JSON.
 * Decoding checks the key stays inside the caller's own partition, so a
 * forged cursor cannot page through another team's items.
 */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API issued for this list');
    this.name = 'InvalidCursorError';
  }
}

export function encodeCursor(key: Record<string, AttributeValue> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(unmarshall(key))).toString('base64url') : null;
}

export function decodeCursor(
  cursor: string | undefined,
  expected: {
    attribute: string;
    value: string;
    keys: readonly string[];
    /**
     * What each key attribute must start with: the kind of item this list
     * pages through. A key of another kind, even in the caller's own
     * partition, would start the query outside its bounds.
     */
    startsWith: Readonly<Record<string, string>>;
  },
): Record<string, AttributeValue> | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const valid =
    typeof key === 'object' &&
    key !== null &&
    Object.keys(key).sort().join() === [...expected.keys].sort().join() &&
    Object.values(key).every((v) => typeof v === 'string') &&
    (key as Record<string, string>)[expected.attribute] === expected.value &&
    Object.entries(expected.startsWith).every(([attribute, prefix]) => (key as Record<string, string>)[attribute]?.startsWith(prefix));
  if (!valid) throw new InvalidCursorError();
  return marshall(key as Record<string, string>);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
