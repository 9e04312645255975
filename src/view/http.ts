/**
 * The viewer server's HTTP pieces: answers with the headers every answer carries, errors as
 * statuses, and the checks of what a request brings (token, numbers, a small body).
 *
 * @module
 */

/** An answer other than 200, with its status, message and extra headers. */
export class HttpError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** Extra headers of the answer, such as `allow`. */
  readonly headers: Record<string, string>;
  /**
   * @param status The HTTP status.
   * @param message What went wrong, for the JSON `error`.
   * @param headers Extra headers.
   */
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
/** Headers of every answer: no caching, sniffing, embedding or framing by other origins. */
export const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Other origins may neither embed the answers (frames as images) nor frame the page.
  "cross-origin-resource-policy": "same-origin",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; " +
    "form-action 'none'; frame-ancestors 'none'",
};

/** Methods that only read: everything else must come from the viewer's own page. */
export const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A JSON answer. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...JSON_HEADERS, ...SECURITY_HEADERS, ...headers },
  });
}

/** A binary answer of the given type. */
export function bytes(body: Uint8Array, type: string): Response {
  return new Response(body as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": type, ...SECURITY_HEADERS },
  });
}

/** A text answer of the given type, in UTF-8. */
export function text(body: string, type: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    headers: { "content-type": `${type}; charset=utf-8`, ...SECURITY_HEADERS, ...headers },
  });
}

/** Compares two strings in time independent of where they differ. */
export function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The value of cookie `name` in a `Cookie` header, or null. */
export function cookieValue(header: string | null, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return null;
}

/** A whole number in `[0, limit)` from a path segment or query value. */
export function index(value: string | null, what: string, limit: number, unit: string): number {
  if (value === null || !/^\d{1,15}$/.test(value)) {
    throw new HttpError(
      400,
      `${what} must be a whole number of at most 15 digits, got ${JSON.stringify(value)}`,
    );
  }
  const n = Number(value);
  if (n >= limit) {
    throw new HttpError(404, `${what} ${n} is out of range: there are ${limit} ${unit}`);
  }
  return n;
}

/**
 * Refuses a request that brings a body where none is read, rather than leave it unread.
 *
 * @throws {HttpError} 413 when it has one.
 */
export function refuseBody(request: Request, path: string): void {
  const length = request.headers.get("content-length");
  if (request.headers.has("transfer-encoding") || (length !== null && length !== "0")) {
    throw new HttpError(413, `${request.method} ${path} takes no body`);
  }
}

/** A request body of at most 4 KiB, as text. */
export async function readSmallBody(request: Request, path: string): Promise<string> {
  const limit = 4096;
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > limit) throw new HttpError(413, `The body of POST ${path} is over ${limit} bytes`);
  const reader = request.body?.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new HttpError(413, `The body of POST ${path} is over ${limit} bytes`);
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const part of parts) all.set(part, (at += part.length) - part.length);
  return new TextDecoder().decode(all);
}
