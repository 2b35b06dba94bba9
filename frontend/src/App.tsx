import CssBaseline from "@mui/material/CssBaseline";
import { ThemeProvider } from "@mui/material/styles";
import { LocalizationProvider } from "@mui/x-date-pickers/LocalizationProvider";
import { AdapterDayjs } from "@mui/x-date-pickers/AdapterDayjs";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { AuthProvider } from "./auth/AuthContext";
import { RequireAuth, HomeRedirect } from "./auth/guards";
import { ConfigProvider } from "./components/common/ConfigContext";
import { NotifierProvider } from "./components/common/Notifier";
import OrgLayout from "./components/layout/OrgLayout";
import ActivityPage from "./pages/ActivityPage";
import ApiKeysPage from "./pages/ApiKeysPage";
import LoginPage from "./pages/LoginPage";
import MembersPage from "./pages/MembersPage";
import NotFoundPage from "./pages/NotFoundPage";
import ResourcesPage from "./pages/ResourcesPage";
import { theme } from "./theme";

export default function App() {
  return (
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
                      <Route path="api-keys" element={<ApiKeysPage />} />
                      <Route path="members" element={<MembersPage />} />
                      <Route path="resources" element={<Navigate to="datasources" replace />} />
                      <Route path="resources/:kind" element={<ResourcesPage />} />
                      <Route path="activity" element={<ActivityPage />} />
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
  );
}
