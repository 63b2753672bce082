/**
 * The HTTP client of the CLI: the service's URL and token from flags or
 * CONFIGLEDGER_URL / CONFIGLEDGER_TOKEN, JSON in and out, and a problem
 * (RFC 9457) turned into an error that says what the service said.
 */
export interface Connection {
  readonly url: string;
  readonly token?: string | undefined;
}

/** The service answered with a problem: its status and detail (exit code 1). */
export class ServiceProblemError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly errors: readonly { field: string; message: string }[] = [],
  ) {
    super(`${status}: ${detail}${errors.map((e) => `\n  ${e.field}: ${e.message}`).join('')}`);
  }
}

/** The service could not be reached at all (exit code 3). */
export class UnreachableError extends Error {}

export function headersFor(connection: Connection, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Accept: 'application/json',
    ...(connection.token && { Authorization: `Bearer ${connection.token}` }),
    ...extra,
  };
}

export function apiUrl(
  connection: Connection,
  path: string,
  query: Record<string, string | number | boolean | undefined> = {},
) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const search = params.size > 0 ? `?${params}` : '';
  return `${connection.url.replace(/\/+$/, '')}/api/v1${path}${search}`;
}

export async function call<T>(
  connection: Connection,
  method: string,
  path: string,
  options: {
    query?: Record<string, string | number | boolean | undefined>;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(connection, path, options.query), {
      method,
      headers: headersFor(connection, {
        ...(options.body !== undefined && { 'Content-Type': 'application/json' }),
        ...options.headers,
      }),
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
  } catch (error) {
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    throw new UnreachableError(
      `cannot reach ${connection.url} (${cause.message}); is the service running? set --url or CONFIGLEDGER_URL`,
    );
  }
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = (body ?? {}) as { detail?: string; errors?: { field: string; message: string }[] };
    throw new ServiceProblemError(res.status, problem.detail ?? res.statusText, problem.errors);
  }
  return body as T;
}
