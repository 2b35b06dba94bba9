import { useQuery } from "@tanstack/react-query";
import { createContext, useContext, type ReactNode } from "react";
import { api, unwrap } from "../../api/client";
import { queryKeys } from "../../api/queries";
import type { PortalConfig } from "../../api/types";

/** Used until /api/v1/config answers (the SPEC's defaults). */
export const DEFAULT_CONFIG: PortalConfig = { maxKeyLifetimeDays: 730, apiKeyEmailDomain: "" };

const ConfigContext = createContext<PortalConfig>(DEFAULT_CONFIG);

export function ConfigProvider({ children }: { children: ReactNode }) {
  // Read once per visit; on failure the defaults stay (the server validates anyway).
  const { data } = useQuery({
    queryKey: queryKeys.config,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/config", { signal })),
    staleTime: Infinity,
    retry: false,
  });
  return <ConfigContext.Provider value={data ?? DEFAULT_CONFIG}>{children}</ConfigContext.Provider>;
}

export function useConfig(): PortalConfig {
  return useContext(ConfigContext);
}
