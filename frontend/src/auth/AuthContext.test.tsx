import { act, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, csrfAndSessionMiddleware } from "../api/client";
import type { Session } from "../api/types";
import { answer } from "../test/utils";
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
  const { status, notice } = useAuth();
  return (
    <p>
      {status} {notice}
    </p>
  );
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
});

describe("AuthProvider", () => {
  it("restores the session from /auth/me", async () => {
    vi.mocked(api.GET).mockReturnValue(answer(200, session));
    render(
      <MemoryRouter>
        <AuthProvider>
          <Probe />
        </AuthProvider>
      </MemoryRouter>,
    );
    expect(await screen.findByText(/authenticated/)).toBeInTheDocument();
  });

  it("ends the session once on a 401 and sends the user to the login page", async () => {
    vi.mocked(api.GET).mockReturnValue(answer(200, session));
    render(
      <MemoryRouter initialEntries={["/orgs/demo/members"]}>
        <AuthProvider>
          <Routes>
            <Route path="/login" element={<Probe />} />
            <Route element={<RequireAuth />}>
              <Route path="/orgs/demo/members" element={<p>members page</p>} />
            </Route>
          </Routes>
        </AuthProvider>
      </MemoryRouter>,
    );
    expect(await screen.findByText("members page")).toBeInTheDocument();
    await act(async () => {
      await respond401("/api/v1/organizations/o1/members");
      await respond401("/api/v1/organizations/o1/api-keys");
    });
    await waitFor(() => {
      expect(screen.getByText(/anonymous Your session has ended/)).toBeInTheDocument();
    });
    expect(screen.queryByText("members page")).not.toBeInTheDocument();
  });

  it("treats a 401 from /auth/me as simply not logged in", async () => {
    vi.mocked(api.GET).mockReturnValue(answer(401, { code: "unauthenticated" }));
    render(
      <MemoryRouter>
        <AuthProvider>
          <Probe />
        </AuthProvider>
      </MemoryRouter>,
    );
    expect(await screen.findByText("anonymous")).toBeInTheDocument();
  });
});
