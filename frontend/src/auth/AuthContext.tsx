import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from "react";
import { api, onUnauthorized, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import { queryKeys } from "../api/queries";
import { dropUserData } from "../api/queryClient";
import type { Session } from "../api/types";

type Status = "loading" | "anonymous" | "authenticated";

export interface AuthState {
  status: Status;
  session: Session | null;
  /** Why the user was sent back to the login page, if they did not log out themselves. */
  notice: string | null;
  login: (email: string, password: string) => Promise<Session>;
  logout: () => Promise<void>;
  clearNotice: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

/** The session from /auth/me; null when anonymous (any failure counts as not logged in). */
async function fetchSession({ signal }: { signal: AbortSignal }): Promise<Session | null> {
  try {
    return await unwrap(api.GET("/api/v1/auth/me", { signal }));
  } catch {
    return null;
  }
}

async function postLogout(): Promise<void> {
  try {
    await unwrap(api.POST("/api/v1/auth/logout"));
  } catch (e) {
    // Already logged out on the server: the outcome is the same.
    if (!(e instanceof ApiError && e.status === 401)) throw e;
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  // The session is server state like any other: cached under ["session"], null when anonymous.
  const me = useQuery({
    queryKey: queryKeys.session,
    queryFn: fetchSession,
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
  });
  const session = me.data ?? null;
  const status: Status = me.isPending ? "loading" : session ? "authenticated" : "anonymous";
  const [notice, setNotice] = useState<string | null>(null);
  // A burst of 401s (several requests in flight) ends the session once.
  const ended = useRef(false);

  const setSession = useCallback(
    (s: Session | null) => {
      queryClient.setQueryData<Session | null>(queryKeys.session, s);
    },
    [queryClient],
  );

  useEffect(
    () =>
      onUnauthorized(() => {
        if (ended.current) return;
        ended.current = true;
        setSession(null);
        setNotice("Your session has ended. Please log in again.");
      }),
    [setSession],
  );

  // Once the session is gone (401, logout) and the pages behind the login have unmounted, nothing
  // of that user stays in the cache: no list, no preview, no mutation result.
  useEffect(() => {
    if (status === "anonymous") dropUserData(queryClient);
  }, [status, queryClient]);

  // The password is in the variables: the mutation is dropped from the cache once settled.
  const loginMutation = useMutation({
    mutationFn: ({ email, password }: { email: string; password: string }) =>
      unwrap(api.POST("/api/v1/auth/login", { body: { email, password } })),
    gcTime: 0,
    onSuccess: (s) => {
      ended.current = false;
      setNotice(null);
      setSession(s);
    },
  });
  const { mutateAsync: loginAsync, reset: resetLogin } = loginMutation;
  const login = useCallback(
    async (email: string, password: string) => {
      try {
        return await loginAsync({ email, password });
      } finally {
        resetLogin();
      }
    },
    [loginAsync, resetLogin],
  );

  const logoutMutation = useMutation({
    mutationFn: postLogout,
    onMutate: () => {
      ended.current = true;
    },
    onSettled: () => {
      setSession(null);
      setNotice(null);
    },
  });
  const { mutateAsync: logoutAsync } = logoutMutation;
  const logout = useCallback(() => logoutAsync(), [logoutAsync]);

  const clearNotice = useCallback(() => {
    setNotice(null);
  }, []);

  const value = useMemo<AuthState>(
    () => ({ status, session, notice, login, logout, clearNotice }),
    [status, session, notice, login, logout, clearNotice],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}

/** The logged-in session; only for components rendered behind RequireAuth. */
export function useSession(): Session {
  const { session } = useAuth();
  if (!session) throw new Error("useSession without a session");
  return session;
}
