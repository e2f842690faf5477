import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Opaque pagination cursors: DynamoDB's LastEvaluatedKey as base64url JSON,
 * signed by the API for one team and one list (see CursorSigner). Decoding
 * checks again that the key stays inside the caller's own partition and the
 * list's kind of item, so a signing mistake alone cannot open another
 * team's items.
 */
export class InvalidCursorError extends Error {
  constructor(reason = 'cursor is not one this API issued for this list') {
    super(reason);
    this.name = 'InvalidCursorError';
  }
}

/**
 * The longest cursor the API accepts. The ones it issues are a few hundred
 * characters; anything longer was not issued here and is refused before any
 * decoding.
 */
export const MAX_CURSOR_LENGTH = 1024;

/**
 * The longest key value a cursor may carry. DynamoDB refuses a start key whose
 * sort keys pass 1,024 bytes with a ValidationException (a 500 if it got that
 * far); our keys are ids and timestamps, far shorter.
 */
const MAX_KEY_VALUE_BYTES = 256;

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
  if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError();
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
    Object.values(key).every((v) => typeof v === 'string' && Buffer.byteLength(v) <= MAX_KEY_VALUE_BYTES) &&
    (key as Record<string, string>)[expected.attribute] === expected.value &&
    Object.entries(expected.startsWith).every(([attribute, prefix]) => (key as Record<string, string>)[attribute]?.startsWith(prefix));
  if (!valid) throw new InvalidCursorError();
  return marshall(key as Record<string, string>);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Whom a cursor was issued to and for which list: one team, one route (and its watch). */
export interface CursorScope {
  team: string;
  /** The list it pages through, e.g. `watches` or `watches/w_1/events`. */
  list: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SIGNATURE_LENGTH = 43; // base64url of a 32-byte HMAC-SHA256

/**
 * Signs the store's cursors before they leave the API and checks them when
 * they come back: `<key>.<HMAC-SHA256 of version, list, team and key>`, under
 * a key the installation keeps secret (Secrets Manager in AWS, the data
 * directory locally). A cursor that was altered in any way, that was issued
 * to another team or for another list, or that is longer than any the API
 * issues, is an InvalidCursorError (a 400 naming `cursor`). A key that changes
 * (rotation) makes the cursors signed under the old one invalid: a client
 * starts that list again from its first page.
 */
export class CursorSigner {
  constructor(private readonly key: () => Promise<string | Uint8Array>) {}

  async sign(cursor: string | null, scope: CursorScope): Promise<string | null> {
    if (cursor === null) return null;
    return `${cursor}.${await this.mac(cursor, scope)}`;
  }

  /** The store's cursor inside a signed one; undefined for no cursor (the first page). */
  async verify(signed: string | undefined, scope: CursorScope): Promise<string | undefined> {
    if (signed === undefined) return undefined;
    if (signed.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError(`cursor is longer than any this API issues (at most ${MAX_CURSOR_LENGTH} characters)`);
    const dot = signed.lastIndexOf('.');
    const [cursor, signature] = [signed.slice(0, dot), signed.slice(dot + 1)];
    if (dot < 1 || signature.length !== SIGNATURE_LENGTH || !BASE64URL.test(cursor) || !BASE64URL.test(signature)) throw new InvalidCursorError();
    // Compared as text: base64url's last character has spare bits, so two spellings decode to the same bytes.
    if (!timingSafeEqual(Buffer.from(await this.mac(cursor, scope)), Buffer.from(signature))) throw new InvalidCursorError();
    return cursor;
  }

  private async mac(cursor: string, scope: CursorScope): Promise<string> {
    // JSON keeps the fields apart: no team or list name can run into the next field.
    return createHmac('sha256', await this.key())
      .update(JSON.stringify(['watchpost-cursor-v1', scope.list, scope.team, cursor]))
      .digest('base64url');
  }
}
