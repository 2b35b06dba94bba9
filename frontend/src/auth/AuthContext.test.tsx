import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, csrfAndSessionMiddleware } from "../api/client";
import type { Session } from "../api/types";
import { answer, createTestQueryClient } from "../test/utils";
import { AuthProvider, useAuth } from "./AuthContext";
import { RequireAuth } from "./guards";

vi.mock("../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../api/client")>();
  return { ...actual, api: { GET: vi.fn(), POST: vi.fn(), DELETE: vi.fn() } };
});

const session: Session = {
  user: { id: "u1", email: "alice@x", name: "Alice Admin" },
  memberships: [
    { organization: { id: "o1", name: "Demo", slug: "demo" }, memberId: "m1", role: "administrator" },
  ],
};

function Probe() {
  const { status, notice, logout } = useAuth();
  return (
    <>
      <p>
        {status} {notice}
      </p>
      <button type="button" onClick={() => void logout()}>
        log out
      </button>
    </>
  );
}

let queryClient: QueryClient;

function Providers({ children }: { children: ReactNode }) {
  return <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
}

/** What an organization page would have cached. */
function cacheOrgData() {
  queryClient.setQueryData(["api-keys", "o1", { limit: 25, offset: 0 }], { items: [], total: 0 });
  queryClient.setQueryData(["resources", "o1", "projects", { limit: 25, offset: 0 }], { items: [], total: 0 });
}

function cachedRoots(): unknown[] {
  return queryClient
    .getQueryCache()
    .getAll()
    .map((q) => q.queryKey[0]);
}

async function respond401(path: string) {
  const hook = csrfAndSessionMiddleware.onResponse as NonNullable<typeof csrfAndSessionMiddleware.onResponse>;
  await hook({
    request: new Request(`http://portal.test${path}`),
    response: new Response(null, { status: 401 }),
  } as Parameters<typeof hook>[0]);
}

beforeEach(() => {
  vi.clearAllMocks();
  queryClient = createTestQueryClient();
});

describe("AuthProvider", () => {
  it("restores the session from /auth/me", async () => {
    vi.mocked(api.GET).mockReturnValue(answer(200, session));
    render(
      <Providers>
        <MemoryRouter>
          <AuthProvider>
            <Probe />
          </AuthProvider>
        </MemoryRouter>
      </Providers>,
    );
    expect(await screen.findByText(/authenticated/)).toBeInTheDocument();
  });

  it("ends the session once on a 401 and sends the user to the login page", async () => {
    vi.mocked(api.GET).mockReturnValue(answer(200, session));
    render(
      <Providers>
        <MemoryRouter initialEntries={["/orgs/demo/members"]}>
          <AuthProvider>
            <Routes>
              <Route path="/login" element={<Probe />} />
              <Route element={<RequireAuth />}>
                <Route path="/orgs/demo/members" element={<p>members page</p>} />
              </Route>
            </Routes>
          </AuthProvider>
        </MemoryRouter>
      </Providers>,
    );
    expect(await screen.findByText("members page")).toBeInTheDocument();
    cacheOrgData();
    await act(async () => {
      await respond401("/api/v1/organizations/o1/members");
      await respond401("/api/v1/organizations/o1/api-keys");
    });
    await waitFor(() => {
      expect(screen.getByText(/anonymous Your session has ended/)).toBeInTheDocument();
    });
    expect(screen.queryByText("members page")).not.toBeInTheDocument();
    // Nothing read for that user stays in the cache (only the now empty session).
    await waitFor(() => {
      expect(cachedRoots()).toEqual(["session"]);
    });
    expect(queryClient.getQueryData(["session"])).toBeNull();
  });

  it("logs out: the session ends and the cache of server data is dropped", async () => {
    vi.mocked(api.GET).mockReturnValue(answer(200, session));
    vi.mocked(api.POST).mockReturnValue(answer(204, null));
    render(
      <Providers>
          <MemoryRouter>
            <AuthProvider>
              <Probe />
            </AuthProvider>
          </MemoryRouter>
      </Providers>,
    );
    expect(await screen.findByText(/authenticated/)).toBeInTheDocument();
    cacheOrgData();
    await userEvent.click(screen.getByRole("button", { name: "log out" }));
    expect(await screen.findByText("anonymous")).toBeInTheDocument();
    expect(api.POST).toHaveBeenCalledWith("/api/v1/auth/logout");
    await waitFor(() => {
      expect(cachedRoots()).toEqual(["session"]);
    });
  });

  it("treats a 401 from /auth/me as simply not logged in", async () => {
    vi.mocked(api.GET).mockReturnValue(answer(401, { code: "unauthenticated" }));
    render(
      <Providers>
        <MemoryRouter>
          <AuthProvider>
            <Probe />
          </AuthProvider>
        </MemoryRouter>
      </Providers>,
    );
    expect(await screen.findByText("anonymous")).toBeInTheDocument();
  });
});
