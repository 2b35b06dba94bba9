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

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>("loading");
  const [session, setSession] = useState<Session | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // A burst of 401s (several requests in flight) ends the session once.
  const ended = useRef(false);

  useEffect(() => {
    let cancelled = false;
    unwrap(api.GET("/api/v1/auth/me"))
      .then((s) => {
        if (cancelled) return;
        ended.current = false;
        setSession(s);
        setStatus("authenticated");
      })
      .catch(() => {
        if (cancelled) return;
        setSession(null);
        setStatus("anonymous");
      });
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(
    () =>
      onUnauthorized(() => {
        if (ended.current) return;
        ended.current = true;
        setSession(null);
        setStatus("anonymous");
        setNotice("Your session has ended. Please log in again.");
      }),
    [],
  );

  const login = useCallback(async (email: string, password: string) => {
    const s = await unwrap(api.POST("/api/v1/auth/login", { body: { email, password } }));
    ended.current = false;
    setNotice(null);
    setSession(s);
    setStatus("authenticated");
    return s;
  }, []);

  const logout = useCallback(async () => {
    ended.current = true;
    try {
      await unwrap(api.POST("/api/v1/auth/logout"));
    } catch (e) {
      // Already logged out on the server: the outcome is the same.
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    } finally {
      setSession(null);
      setStatus("anonymous");
      setNotice(null);
    }
  }, []);

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
