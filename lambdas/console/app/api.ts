/**
 * The console's only way to the server: the watch API, with the team token
 * from sessionStorage sent as Authorization (never in a URL), and problem+json
 * answers turned into errors that carry each field's message.
 */
const TOKEN_KEY = 'watchpost.token';
/** Fired when the API stops accepting the stored token. */
export const SIGNED_OUT = 'watchpost:signed-out';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly fields: FieldError[],
  ) {
    super(detail ?? title);
    this.name = 'ApiError';
  }

  /** The message for one field (`resource.datasetId`), or for any field under it. */
  forField(path: string): string | undefined {
    return this.fields.find((field) => field.path === path || field.path.startsWith(`${path}.`))?.message;
  }
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, token = storedToken()): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (response.status === 204) return undefined as T;
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status === 401 && token !== null && token === storedToken()) {
    // Revoked or expired while signed in: back to the sign-in form, token forgotten.
    forgetToken();
    dispatchEvent(new Event(SIGNED_OUT));
  }
  if (!response.ok) {
    const errors = Array.isArray(json.errors) ? (json.errors as FieldError[]) : [];
    throw new ApiError(response.status, String(json.title ?? `HTTP ${response.status}`), typeof json.detail === 'string' ? json.detail : undefined, errors);
  }
  return json as T;
}
