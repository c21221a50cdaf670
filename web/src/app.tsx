// Routes and guards. SaaS: an account session (cookie) guards the app; self-hosted: the slice
// token in localStorage does.
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { createBrowserRouter, Navigate, Outlet, RouterProvider } from 'react-router';
import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { SAAS } from './env.ts';
import { getSliceToken, isApiError, onUnauthenticated, setSliceToken } from './api/http.ts';
import { keys, normaliseFilters } from './api/keys.ts';
import { getMe } from './api/auth.ts';
import { listChats } from './api/chats.ts';
import { useMe, useWaStatus } from './session.ts';
import { AppShell } from './components/app-shell.tsx';
import { ErrorState, LoadingState } from './components/ui.tsx';
import { LoginScreen, RegisterScreen } from './screens/auth.tsx';
import { TokenScreen } from './screens/token.tsx';
import { LinkScreen } from './screens/link.tsx';
import { InboxScreen } from './screens/inbox.tsx';
import { PipelineScreen } from './screens/pipeline.tsx';
import { SettingsScreen } from './screens/settings.tsx';
import { BillingScreen } from './screens/billing.tsx';

// Not on the first screen: its code loads when it is first opened.
const ContactsScreen = lazy(() => import('./screens/contacts.tsx').then((m) => ({ default: m.ContactsScreen })));
const TeamScreen = lazy(() => import('./screens/team.tsx').then((m) => ({ default: m.TeamScreen })));
const AccountScreen = lazy(() => import('./screens/account.tsx').then((m) => ({ default: m.AccountScreen })));
const AuditScreen = lazy(() => import('./screens/audit.tsx').then((m) => ({ default: m.AuditScreen })));
const IntegrationsScreen = lazy(() => import('./screens/integrations.tsx').then((m) => ({ default: m.IntegrationsScreen })));
const InviteScreen = lazy(() => import('./screens/invite.tsx').then((m) => ({ default: m.InviteScreen })));
const ForgotPasswordScreen = lazy(() => import('./screens/password-reset.tsx').then((m) => ({ default: m.ForgotPasswordScreen })));
const ResetPasswordScreen = lazy(() => import('./screens/password-reset.tsx').then((m) => ({ default: m.ResetPasswordScreen })));
const VerifyEmailScreen = lazy(() => import('./screens/verify-email.tsx').then((m) => ({ default: m.VerifyEmailScreen })));

const later = (el: ReactNode) => <Suspense fallback={<LoadingState />}>{el}</Suspense>;

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { refetchOnWindowFocus: false, retry: (n, err) => !isApiError(err) || (err.status >= 500 && n < 2) },
    },
  });
}

/** Starts the first screen's requests at once instead of one after the other. */
export function warmUp(client: QueryClient, pathname: string): void {
  if (SAAS) void client.prefetchQuery({ queryKey: keys.me, queryFn: ({ signal }) => getMe(signal), retry: false });
  if (pathname.startsWith('/inbox') && (SAAS || getSliceToken())) {
    const f = normaliseFilters({});
    void client.prefetchInfiniteQuery({ queryKey: keys.chats(f), queryFn: ({ pageParam, signal }) => listChats(f, pageParam as string | null, signal), initialPageParam: null as string | null, retry: false });
  }
}

/** A 401 anywhere: the session is gone. Re-check /api/me (SaaS) or drop the token (self-hosted). */
function SessionWatch() {
  const qc = useQueryClient();
  useEffect(
    () =>
      onUnauthenticated(() => {
        if (SAAS) {
          if (qc.getQueryState(keys.me)?.status === 'success') void qc.invalidateQueries({ queryKey: keys.me });
        } else if (getSliceToken()) {
          setSliceToken(null);
          qc.clear();
          window.location.assign('/token');
        }
      }),
    [qc],
  );
  return null;
}

function RequireSession({ children }: { children: ReactNode }) {
  const me = useMe();
  if (!SAAS) return getSliceToken() ? <>{children}</> : <Navigate to="/token" replace />;
  if (me.isError && isApiError(me.error) && me.error.status === 401) return <Navigate to="/login" replace />;
  if (me.isPending) return <LoadingState label="Loading your account…" />;
  if (me.isError) return <ErrorState title="Cannot reach Queunir" error={me.error} onRetry={() => void me.refetch()} />;
  return <>{children}</>;
}

function PublicOnly({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.isSuccess && !me.isError) return <Navigate to="/" replace />;
  return <>{children}</>;
}

function Home() {
  const { status, query, hasSlice } = useWaStatus();
  if (hasSlice && query.isPending && !status) return <LoadingState />;
  return <Navigate to={status?.state === 'READY' ? '/inbox' : '/link'} replace />;
}

function Shell() {
  return (
    <RequireSession>
      <AppShell>
        <Outlet />
      </AppShell>
    </RequireSession>
  );
}

function Root() {
  return (
    <>
      <SessionWatch />
      <Outlet />
    </>
  );
}

function buildRoutes() {
  const publicRoutes = SAAS
    ? [
        { path: '/login', element: <PublicOnly><LoginScreen /></PublicOnly> },
        { path: '/register', element: <PublicOnly><RegisterScreen /></PublicOnly> },
        { path: '/forgot-password', element: <PublicOnly>{later(<ForgotPasswordScreen />)}</PublicOnly> },
        // Links from emails: they work whether or not someone is signed in in this browser.
        { path: '/reset-password', element: later(<ResetPasswordScreen />) },
        { path: '/invite', element: later(<InviteScreen />) },
        { path: '/verify-email', element: later(<VerifyEmailScreen />) },
      ]
    : [{ path: '/token', element: <TokenScreen /> }];
  return [
    {
      element: <Root />,
      children: [
        ...publicRoutes,
        {
          element: <Shell />,
          children: [
            { path: '/', element: <Home /> },
            { path: '/link', element: <LinkScreen /> },
            { path: '/inbox', element: <InboxScreen /> },
            { path: '/inbox/:chatId', element: <InboxScreen /> },
            { path: '/pipeline', element: <PipelineScreen /> },
            { path: '/contacts', element: <Suspense fallback={<LoadingState label="Loading contacts…" />}><ContactsScreen /></Suspense> },
            { path: '/settings', element: <SettingsScreen /> },
            ...(SAAS
              ? [
                  { path: '/billing', element: <BillingScreen /> },
                  { path: '/team', element: later(<TeamScreen />) },
                  { path: '/account', element: later(<AccountScreen />) },
                  { path: '/account/audit', element: later(<AuditScreen />) },
                  { path: '/integrations', element: later(<IntegrationsScreen />) },
                ]
              : []),
            { path: '*', element: <Navigate to="/" replace /> },
          ],
        },
      ],
    },
  ];
}

export function App({ client }: { client: QueryClient }) {
  const [router] = useState(() => createBrowserRouter(buildRoutes()));
  return (
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
