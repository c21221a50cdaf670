// The signed-in frame: a navigation rail (a bottom bar at phone width), a banner when WhatsApp is
// not connected, and the one event stream of the tab.
import type { ReactNode } from 'react';
import { Link, NavLink, useLocation } from 'react-router';
import { EventStream, useStreamStatus } from '../events/event-stream.tsx';
import { describeWaState } from '../lib/wa-state.ts';
import { planOf } from '../api/billing.ts';
import { formatDay } from '../screens/billing.tsx';
import { useMe, useWaStatus } from '../session.ts';
import { cx } from './ui.tsx';
import { useTabTitle, useUnreadChats } from './tab-title.ts';
import { SAAS } from '../env.ts';

const icons: Record<string, string> = {
  inbox: 'M3 5h14v10H3zM3 11h4l1.5 2h3L13 11h4',
  pipeline: 'M3 4h4v12H3zM8 4h4v8H8zM13 4h4v5h-4z',
  contacts: 'M7.5 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2.5 17c0-3 2.2-5 5-5s5 2 5 5M13 4.5a2.5 2.5 0 0 1 0 5M14.5 12.5c1.8.5 3 2 3 4.5',
  link: 'M4 4h5v5H4zM11 4h5v5h-5zM4 11h5v5H4zM12 12h1.5v1.5H12zM14.5 14.5H16V16h-1.5z',
  billing: 'M2.5 5h15v10h-15zM2.5 8.5h15M5 12.5h3',
  settings: 'M10 7a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM10 2v2M10 16v2M2 10h2M16 10h2M4.3 4.3l1.4 1.4M14.3 14.3l1.4 1.4M4.3 15.7l1.4-1.4M14.3 5.7l1.4-1.4',
};

const nav = [
  { to: '/inbox', label: 'Inbox', icon: 'inbox' },
  { to: '/pipeline', label: 'Pipeline', icon: 'pipeline' },
  { to: '/contacts', label: 'Contacts', icon: 'contacts' },
  { to: '/link', label: 'WhatsApp', icon: 'link' },
  { to: '/billing', label: 'Billing', icon: 'billing', billingOnly: true },
  { to: '/settings', label: 'Settings', icon: 'settings' },
];

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
  const shown = nav.filter((n) => !n.billingOnly || billingOn);
  return (
    <EventStream generation={me.data?.slice?.id ?? null}>
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
              <span>
                {n.label}
                {n.icon === 'inbox' && unread > 0 ? <span className="sr-only">, {unread} unread chats</span> : null}
              </span>
            </NavLink>
          ))}
        </nav>
        <div className="flex min-h-0 min-w-0 flex-1 flex-col">
          <BillingBanner />
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
  const words = describeWaState(state, status?.detail);
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
