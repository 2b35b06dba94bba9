import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { api, unwrap } from "../../api/client";
import type { PortalConfig } from "../../api/types";

/** Used until /api/v1/config answers (the SPEC's defaults). */
export const DEFAULT_CONFIG: PortalConfig = { maxKeyLifetimeDays: 730, apiKeyEmailDomain: "" };

const ConfigContext = createContext<PortalConfig>(DEFAULT_CONFIG);

export function ConfigProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<PortalConfig>(DEFAULT_CONFIG);
  useEffect(() => {
    let cancelled = false;
    unwrap(api.GET("/api/v1/config")).then(
      (c) => {
        if (!cancelled) setConfig(c);
      },
      () => {
        /* keep the defaults; the server validates anyway */
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);
  return <ConfigContext.Provider value={config}>{children}</ConfigContext.Provider>;
}

export function useConfig(): PortalConfig {
  return useContext(ConfigContext);
}
