import CssBaseline from "@mui/material/CssBaseline";
import { ThemeProvider } from "@mui/material/styles";
import { LocalizationProvider } from "@mui/x-date-pickers/LocalizationProvider";
import { AdapterDayjs } from "@mui/x-date-pickers/AdapterDayjs";
import { QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, type ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { createQueryClient } from "./api/queryClient";
import { AuthProvider } from "./auth/AuthContext";
import { FullPageSpinner, HomeRedirect, RequireAuth } from "./auth/guards";
import { ConfigProvider } from "./components/common/ConfigContext";
import { NotifierProvider } from "./components/common/Notifier";
import OrgLayout from "./components/layout/OrgLayout";
import LoginPage from "./pages/LoginPage";
import NotFoundPage from "./pages/NotFoundPage";
import { theme } from "./theme";

// The pages behind the login (Data Grid, date pickers) load on demand: the login page stays light.
const ApiKeysPage = lazy(() => import("./pages/ApiKeysPage"));
const MembersPage = lazy(() => import("./pages/MembersPage"));
const ResourcesPage = lazy(() => import("./pages/ResourcesPage"));
const ActivityPage = lazy(() => import("./pages/ActivityPage"));
const WebhooksPage = lazy(() => import("./pages/WebhooksPage"));
const SettingsPage = lazy(() => import("./pages/SettingsPage"));

// The one cache of server state for the whole portal.
const queryClient = createQueryClient();

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<FullPageSpinner label="Loading the page" />}>{children}</Suspense>;
}

export default function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <ThemeProvider theme={theme}>
        <CssBaseline />
        <LocalizationProvider dateAdapter={AdapterDayjs}>
          <NotifierProvider>
            <BrowserRouter>
              <AuthProvider>
                <ConfigProvider>
                  <Routes>
                    <Route path="/login" element={<LoginPage />} />
                    <Route element={<RequireAuth />}>
                      <Route index element={<HomeRedirect />} />
                      <Route path="orgs/:slug" element={<OrgLayout />}>
                        <Route index element={<Navigate to="api-keys" replace />} />
                        <Route path="api-keys" element={
                            <Page>
                              <ApiKeysPage />
                            </Page>
                          } />
                        <Route path="members" element={
                            <Page>
                              <MembersPage />
                            </Page>
                          } />
                        <Route path="resources" element={<Navigate to="datasources" replace />} />
                        <Route path="resources/:kind" element={
                            <Page>
                              <ResourcesPage />
                            </Page>
                          } />
                        <Route path="activity" element={
                            <Page>
                              <ActivityPage />
                            </Page>
                          } />
                        <Route path="webhooks" element={
                            <Page>
                              <WebhooksPage />
                            </Page>
                          } />
                        <Route path="settings" element={
                            <Page>
                              <SettingsPage />
                            </Page>
                          } />
                        <Route path="*" element={<NotFoundPage />} />
                      </Route>
                      <Route path="*" element={<NotFoundPage />} />
                    </Route>
                  </Routes>
                </ConfigProvider>
              </AuthProvider>
            </BrowserRouter>
          </NotifierProvider>
        </LocalizationProvider>
      </ThemeProvider>
    </QueryClientProvider>
  );
}
