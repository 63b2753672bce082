/**
 * The console is a client of the public API, like any other: same origin,
 * the caller's bearer token (kept in this tab's sessionStorage, gone when the
 * tab closes), and the API's answers, problems included, shown as they are.
 */
const TOKEN_KEY = 'configledger.token';
const BASE = 'api/v1';

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors?: { field: string; message: string }[];
}

/** An answer that is not a success: the API's problem, for the page to show. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const bearer = token();
  return { Accept: 'application/json', ...(bearer && { Authorization: `Bearer ${bearer}` }), ...extra };
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as Partial<Problem>;
    return {
      status: response.status,
      title: body.title ?? response.statusText,
      detail: body.detail ?? '',
      ...(body.errors && { errors: body.errors }),
    };
  } catch {
    return { status: response.status, title: response.statusText, detail: 'the server answered something unreadable' };
  }
}

let written: number | undefined;

/**
 * The log position of the last change this console made (a write's
 * X-Position): lists read from the views (the change feed) pass it as
 * `minPosition`, so a reader sees their own change at once.
 */
export function lastWrittenPosition(): number | undefined {
  return written;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new ApiError(await problemOf(response));
  const position = Number(response.headers.get('X-Position') ?? NaN);
  if (Number.isSafeInteger(position)) written = Math.max(written ?? 0, position);
  return (await response.json()) as T;
}

export const get = <T>(path: string) => call<T>('GET', path);

/** A CI's address under the API. */
export const ciPath = (id: string) => `/cis/${encodeURIComponent(id)}`;

/** A query string from the given values, leaving out the empty ones. */
export function query(values: Record<string, string | number | boolean | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Downloads an answer as a file (the evidence pack): a link cannot carry the token, so fetch it. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await fetch(`${BASE}${path}`, { headers: headers() });
  if (!response.ok) throw new ApiError(await problemOf(response));
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The change stream's address: with authentication on, an EventSource needs a ticket in the URL. */
export async function streamUrl(filters: Record<string, string | undefined>): Promise<string> {
  const params = query(filters);
  if (!token()) return `${BASE}/changes/stream${params}`;
  const { ticket } = await call<{ ticket: string }>('POST', '/changes/stream/tickets');
  return `${BASE}/changes/stream${params}${params ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
}
