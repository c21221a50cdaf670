// The signed-in frame: a navigation rail (a bottom bar at phone width), a banner when WhatsApp is
// not connected, and the one event stream of the tab.
import type { ReactNode } from 'react';
import { useState } from 'react';
import { Link, NavLink, useLocation, useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { resendVerification, switchAccount } from '../api/auth.ts';
import { keys } from '../api/keys.ts';
import type { MemberRole } from '../api/types.ts';
import { hasRole } from '../lib/roles.ts';
import { EventStream, useStreamStatus } from '../events/event-stream.tsx';
import { describeWaState, unlinkedNotice } from '../lib/wa-state.ts';
import { dayAndTime } from '../lib/dates.ts';
import { planOf } from '../api/billing.ts';
import { formatDay } from '../screens/billing.tsx';
import { useMe, useWaStatus } from '../session.ts';
import { cx, ErrorLine } from './ui.tsx';
import { useTabTitle, useUnreadChats } from './tab-title.ts';
import { SAAS } from '../env.ts';

const icons: Record<string, string> = {
  inbox: 'M3 5h14v10H3zM3 11h4l1.5 2h3L13 11h4',
  pipeline: 'M3 4h4v12H3zM8 4h4v8H8zM13 4h4v5h-4z',
  contacts: 'M7.5 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2.5 17c0-3 2.2-5 5-5s5 2 5 5M13 4.5a2.5 2.5 0 0 1 0 5M14.5 12.5c1.8.5 3 2 3 4.5',
  link: 'M4 4h5v5H4zM11 4h5v5h-5zM4 11h5v5H4zM12 12h1.5v1.5H12zM14.5 14.5H16V16h-1.5z',
  billing: 'M2.5 5h15v10h-15zM2.5 8.5h15M5 12.5h3',
  team: 'M7 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM1.5 17c0-3 2.4-5 5.5-5s5.5 2 5.5 5M14 9.5a2.5 2.5 0 1 0 0-5M15 12c2 .4 3.5 2 3.5 5',
  account: 'M10 10a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM3.5 17.5c.5-3.5 3.2-5.5 6.5-5.5s6 2 6.5 5.5',
  audit: 'M5 2.5h7l3 3v12H5zM12 2.5v3h3M7.5 9h5M7.5 12h5M7.5 15h3',
  integrations: 'M7 2.5v4M13 2.5v4M5 6.5h10v2.5a5 5 0 0 1-10 0zM10 14v3.5',
  settings: 'M10 7a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM10 2v2M10 16v2M2 10h2M16 10h2M4.3 4.3l1.4 1.4M14.3 14.3l1.4 1.4M4.3 15.7l1.4-1.4M14.3 5.7l1.4-1.4',
};

interface NavItem {
  to: string;
  label: string;
  icon: string;
  billingOnly?: boolean;
  /** SaaS only: a page about accounts. */
  saas?: boolean;
  /** The least role that can use the page (the server refuses the rest anyway). */
  role?: MemberRole;
}

const nav: NavItem[] = [
  { to: '/inbox', label: 'Inbox', icon: 'inbox' },
  { to: '/pipeline', label: 'Pipeline', icon: 'pipeline' },
  { to: '/contacts', label: 'Contacts', icon: 'contacts' },
  { to: '/link', label: 'WhatsApp', icon: 'link' },
  { to: '/team', label: 'Team', icon: 'team', saas: true, role: 'agent' },
  { to: '/billing', label: 'Billing', icon: 'billing', billingOnly: true, role: 'owner' },
  { to: '/account/audit', label: 'Audit', icon: 'audit', saas: true, role: 'owner' },
  { to: '/account', label: 'Account', icon: 'account', saas: true },
  // The soft hyphen lets the word break in the narrow rail ("Inte-grations"); it is not read out.
  { to: '/integrations', label: 'Inte\u00ADgrations', icon: 'integrations', saas: true, role: 'admin' },
  { to: '/settings', label: 'Settings', icon: 'settings' },
];

/** Which pages the navigation offers: a server without members (older) keeps the pages it had. */
export function navFor(opts: { saas: boolean; billingOn: boolean; role: MemberRole | null; hasMembers: boolean }): NavItem[] {
  return nav.filter((n) => {
    if (n.saas && !opts.saas) return false;
    if (n.billingOnly && !opts.billingOn) return false;
    if (!n.role) return true;
    if (!opts.hasMembers) return !n.saas;
    return hasRole(opts.role, n.role);
  });
}

function Icon({ name }: { name: string }) {
  return (
    <svg viewBox="0 0 20 20" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" aria-hidden>
      <path d={icons[name]} />
    </svg>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  const me = useMe();
  const unread = useUnreadChats();
  useTabTitle(unread);
  const billingOn = SAAS && planOf(me.data).enabled;
  const member = me.data?.member;
  const shown = navFor({ saas: SAAS, billingOn, role: member?.role ?? null, hasMembers: !!member });
  // A switch of account (or a new slice) is a new stream.
  const generation = me.data ? `${me.data.account?.id ?? ''}:${me.data.slice?.id ?? ''}` : null;
  return (
    <EventStream generation={generation}>
      <div className="flex h-full flex-col md:flex-row">
        <nav aria-label="Main" className="order-last flex shrink-0 justify-around border-t border-stone-200 bg-white md:order-first md:w-16 md:flex-col md:justify-start md:gap-1 md:border-t-0 md:border-r md:bg-stone-900 md:py-3">
          <div className="mb-3 hidden justify-center md:flex">
            <span className="flex size-9 items-center justify-center rounded-lg bg-brand-600 font-semibold text-white">Q</span>
          </div>
          {shown.map((n) => (
            <NavLink
              key={n.to}
              to={n.to}
              data-testid={`nav-${n.icon}`}
              end={n.to === '/account'}
              className={({ isActive }) =>
                cx(
                  'flex flex-1 flex-col items-center gap-0.5 py-2 text-[11px] md:mx-2 md:flex-none md:rounded-lg md:py-2',
                  isActive ? 'text-brand-700 md:bg-stone-700 md:text-white' : 'text-stone-500 hover:text-stone-800 md:text-stone-400 md:hover:bg-stone-800 md:hover:text-white',
                )
              }
            >
              <span className="relative">
                <Icon name={n.icon} />
                {n.icon === 'inbox' && unread > 0 ? (
                  <span data-testid="nav-unread" className="absolute -top-1.5 -right-2.5 min-w-4 rounded-full bg-brand-600 px-1 text-center text-[10px] font-semibold leading-4 text-white">
                    {unread > 99 ? '99+' : unread}
                  </span>
                ) : null}
              </span>
              <span className="max-w-full text-center">
                {n.label}
                {n.icon === 'inbox' && unread > 0 ? <span className="sr-only">, {unread} unread chats</span> : null}
              </span>
            </NavLink>
          ))}
        </nav>
        <div className="flex min-h-0 min-w-0 flex-1 flex-col">
          {SAAS ? <AccountSwitcher /> : null}
          {SAAS ? <VerifyEmailBanner /> : null}
          <BillingBanner />
          <UnlinkedBanner />
          <StatusBanner />
          <main className="min-h-0 flex-1">{children}</main>
        </div>
      </div>
    </EventStream>
  );
}

/** A failed payment (or a plan that no longer allows WhatsApp): said on every screen but Billing. */
export function BillingBanner() {
  const me = useMe();
  const { pathname } = useLocation();
  const plan = planOf(me.data);
  if (!plan.enabled || pathname.startsWith('/billing')) return null;
  const pastDue = plan.status === 'past_due';
  if (!pastDue && (plan.allowed || !me.data?.slice)) return null;
  const text = pastDue
    ? plan.allowed
      ? `Payment failed: update your payment method before ${formatDay(plan.graceEndsAt)} to keep WhatsApp connected.`
      : 'Payment failed and the grace period is over: WhatsApp is stopped (your data is kept).'
    : 'Your plan no longer includes WhatsApp: it is stopped (your data is kept).';
  return (
    <div role="alert" data-testid="billing-banner" data-status={plan.status} className="flex items-center gap-3 border-b border-red-200 bg-red-50 px-4 py-1.5 text-sm text-red-900">
      <span>{text}</span>
      <Link to="/billing" className="ml-auto shrink-0 font-medium underline">
        {pastDue ? 'Fix payment' : 'Billing'}
      </Link>
    </div>
  );
}

/** The number was unlinked (the phone removed this device, or a member logged out): said on every
 * screen until it is linked again, because no message comes in meanwhile. */
export function UnlinkedBanner() {
  const { status } = useWaStatus();
  const { pathname } = useLocation();
  const text = unlinkedNotice(status, dayAndTime);
  if (!text || pathname.startsWith('/link')) return null;
  return (
    <div role="alert" data-testid="unlinked-banner" data-by={status?.lastLogout?.by} className="flex items-center gap-3 border-b border-red-200 bg-red-50 px-4 py-1.5 text-sm text-red-900">
      <span>{text}</span>
      <Link to="/link" className="ml-auto shrink-0 font-medium underline">
        Link again
      </Link>
    </div>
  );
}

function StatusBanner() {
  const { status } = useWaStatus();
  const stream = useStreamStatus();
  const { pathname } = useLocation();
  if (pathname.startsWith('/link')) return null;
  const state = status?.state;
  if (state === 'READY') {
    return stream === 'reconnecting' ? (
      <div role="status" className="bg-amber-50 px-4 py-1 text-xs text-amber-800">
        Live updates paused, reconnecting…
      </div>
    ) : null;
  }
  const words = describeWaState(state, status?.detail, status?.cause);
  return (
    <div role="status" data-testid="wa-banner" className="flex items-center gap-3 border-b border-amber-200 bg-amber-50 px-4 py-1.5 text-sm text-amber-900">
      <span>
        WhatsApp: <b>{words.title}</b>
        <span className="hidden sm:inline"> — {words.hint}</span>
      </span>
      <Link to="/link" className="ml-auto shrink-0 font-medium underline">
        {state ? 'Details' : 'Link now'}
      </Link>
    </div>
  );
}

/** Unverified email: WhatsApp can be linked, but inviting needs a verified address. */
export function VerifyEmailBanner() {
  const me = useMe();
  const resend = useMutation({ mutationFn: resendVerification });
  if (me.data?.user.emailVerified !== false) return null;
  return (
    <div role="status" data-testid="verify-banner" className="flex flex-wrap items-center gap-3 border-b border-sky-200 bg-sky-50 px-4 py-1.5 text-sm text-sky-900">
      <span>Confirm your email address ({me.data.user.email}): open the link we sent you. Inviting your team needs it.</span>
      {resend.isSuccess ? (
        <span data-testid="verification-sent" className="ml-auto shrink-0">Sent. Check your inbox.</span>
      ) : (
        <button type="button" data-testid="resend-verification" disabled={resend.isPending} onClick={() => resend.mutate()} className="ml-auto shrink-0 font-medium underline">
          {resend.isPending ? 'Sending…' : 'Send the link again'}
        </button>
      )}
      <ErrorLine error={resend.error} className="w-full text-xs" />
    </div>
  );
}

/** Someone in more than one account works in one at a time: this picks which. */
export function AccountSwitcher() {
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const switching = useMutation({
    mutationFn: switchAccount,
    onSuccess: (next) => {
      // Everything cached belongs to the other account.
      qc.clear();
      qc.setQueryData(keys.me, next);
      navigate('/', { replace: true });
    },
    onError: setError,
  });
  const accounts = me.data?.accounts ?? [];
  if (accounts.length < 2) return null;
  return (
    <div className="flex items-center gap-2 border-b border-stone-200 bg-white px-4 py-1 text-sm">
      <label htmlFor="account-switcher" className="text-stone-500">
        Account
      </label>
      <select
        id="account-switcher"
        data-testid="account-switcher"
        value={me.data?.account?.id ?? ''}
        disabled={switching.isPending}
        onChange={(e) => {
          setError(null);
          switching.mutate(e.target.value);
        }}
        className="rounded-md border border-stone-300 bg-white px-2 py-0.5"
      >
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
      <ErrorLine error={error} className="text-xs" />
    </div>
  );
}
