/**
 * The one way the portal talks to the Keyhouse API: a typed client generated from the service's
 * OpenAPI document (`schema.d.ts`, produced by `npm run gen`), wrapped so that
 *  - every unsafe request carries the CSRF token from the `kh_csrf` cookie, and
 *  - a 401 from any call but login/me is reported once to the session layer, which sends the
 *    user back to the login page.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { ApiError, toProblem } from "./problem";

export const CSRF_COOKIE = "kh_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function readCookie(name: string, cookieString: string = document.cookie): string | null {
  for (const part of cookieString.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return null;
}

type UnauthorizedHandler = () => void;
let unauthorizedHandler: UnauthorizedHandler | null = null;

/** The session layer registers here; returns an unregister function. */
export function onUnauthorized(handler: UnauthorizedHandler): () => void {
  unauthorizedHandler = handler;
  return () => {
    if (unauthorizedHandler === handler) unauthorizedHandler = null;
  };
}

/** Calls whose 401 is an expected answer, not an expired session. */
function isAuthProbe(url: string): boolean {
  const path = new URL(url, "http://x").pathname;
  return path.endsWith("/auth/login") || path.endsWith("/auth/me") || path.endsWith("/auth/logout");
}

export const csrfAndSessionMiddleware: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method.toUpperCase())) {
      const token = readCookie(CSRF_COOKIE);
      if (token) request.headers.set(CSRF_HEADER, token);
    }
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !isAuthProbe(request.url)) {
      unauthorizedHandler?.();
    }
    return response;
  },
};

export const api = createClient<paths>({
  baseUrl: "",
  credentials: "same-origin",
  headers: { Accept: "application/json" },
  // Repeated `filter` parameters: filter=a&filter=b.
  querySerializer: { array: { style: "form", explode: true } },
});
api.use(csrfAndSessionMiddleware);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Resolves to the typed body of a 2xx answer; throws ApiError with the problem otherwise. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    throw new ApiError(response.status, toProblem(error, response.status));
  }
  return data as T;
}
