import { afterEach, describe, expect, it, vi } from "vitest";
import { CSRF_HEADER, csrfAndSessionMiddleware, onUnauthorized, readCookie } from "./client";

type Hook = NonNullable<typeof csrfAndSessionMiddleware.onRequest>;
type RespHook = NonNullable<typeof csrfAndSessionMiddleware.onResponse>;

function req(method: string, path: string) {
  return new Request(`http://portal.test${path}`, { method });
}

async function runRequest(request: Request) {
  const hook = csrfAndSessionMiddleware.onRequest as Hook;
  return (await hook({ request } as Parameters<Hook>[0])) as Request;
}

async function runResponse(request: Request, status: number) {
  const hook = csrfAndSessionMiddleware.onResponse as RespHook;
  await hook({ request, response: new Response(null, { status }) } as Parameters<RespHook>[0]);
}

afterEach(() => {
  document.cookie = "kh_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
});

describe("API client middleware", () => {
  it("reads cookies by exact name", () => {
    expect(readCookie("kh_csrf", "a=1; kh_csrf_old=no; kh_csrf=tok%3D1")).toBe("tok=1");
    expect(readCookie("kh_csrf", "a=1")).toBeNull();
  });

  it("sends the CSRF token on unsafe requests only", async () => {
    document.cookie = "kh_csrf=abc123";
    const post = await runRequest(req("POST", "/api/v1/organizations/o/api-keys"));
    expect(post.headers.get(CSRF_HEADER)).toBe("abc123");
    const del = await runRequest(req("DELETE", "/api/v1/organizations/o/api-keys/k"));
    expect(del.headers.get(CSRF_HEADER)).toBe("abc123");
    const get = await runRequest(req("GET", "/api/v1/organizations/o/api-keys"));
    expect(get.headers.get(CSRF_HEADER)).toBeNull();
  });

  it("reports a 401 to the session layer, except for the auth probes", async () => {
    const handler = vi.fn();
    const off = onUnauthorized(handler);
    await runResponse(req("GET", "/api/v1/auth/me"), 401);
    await runResponse(req("POST", "/api/v1/auth/login"), 401);
    expect(handler).not.toHaveBeenCalled();
    await runResponse(req("GET", "/api/v1/organizations/o/api-keys"), 403);
    expect(handler).not.toHaveBeenCalled();
    await runResponse(req("GET", "/api/v1/organizations/o/api-keys"), 401);
    expect(handler).toHaveBeenCalledTimes(1);
    off();
    await runResponse(req("GET", "/api/v1/organizations/o/members"), 401);
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
