// Link WhatsApp: connect (SaaS), then the QR as an image that changes live over events, a
// countdown to its refresh, the pairing-code alternative, and every state in plain words.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { SAAS } from '../env.ts';
import { connect } from '../api/auth.ts';
import { reloadQr, requestPairingCode } from '../api/wa.ts';
import { keys } from '../api/keys.ts';
import type { WaStatus } from '../api/types.ts';
import { describeWaState, unlinkedNotice } from '../lib/wa-state.ts';
import { dayAndTime } from '../lib/dates.ts';
import { useWaStatus } from '../session.ts';
import { planOf } from '../api/billing.ts';
import { QrImage } from '../components/qr-image.tsx';
import { Button, cx, ErrorLine, ErrorText, Spinner, TextField } from '../components/ui.tsx';

/** WhatsApp rotates the code about every 20 seconds. */
const QR_LIFETIME_S = 20;
/** After that, how long a new code may take before the code is called expired. */
const QR_GRACE_S = 10;

export function LinkScreen() {
  const { status, hasSlice, me } = useWaStatus({ poll: true });
  const qc = useQueryClient();
  const navigate = useNavigate();
  const connectMut = useMutation({
    mutationFn: connect,
    onSuccess: (next) => {
      qc.setQueryData(keys.me, next);
      if (next.wa) qc.setQueryData(keys.wa, next.wa);
      void qc.invalidateQueries({ queryKey: keys.wa });
    },
  });

  const reloadMut = useMutation({
    mutationFn: reloadQr,
    onSuccess: (next) => qc.setQueryData(keys.wa, next),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.wa }),
  });

  // Arriving here not connected and then connecting: go on to the inbox by itself.
  const wasNotReady = useRef(status?.state !== 'READY');
  useEffect(() => {
    if (status?.state !== 'READY') wasNotReady.current = true;
    else if (wasNotReady.current) {
      const t = setTimeout(() => navigate('/inbox'), 1500);
      return () => clearTimeout(t);
    }
    return undefined;
  }, [status?.state, navigate]);

  const sliceState = me.data?.slice?.state ?? null;
  return (
    <div className="flex min-h-full items-start justify-center overflow-y-auto bg-stone-100 px-4 py-8 md:items-center">
      <div className="w-full max-w-3xl rounded-xl border border-stone-200 bg-white shadow-sm">
        <div className="border-b border-stone-200 px-6 py-4">
          <h1 className="text-lg font-semibold text-stone-900">Link WhatsApp</h1>
          <p className="text-sm text-stone-500">Use WhatsApp on your phone to link this account, as you would WhatsApp Web.</p>
        </div>
        <div className="p-6">
          {SAAS && !planOf(me.data).allowed && (!hasSlice || me.data?.slice?.state !== 'RUNNING') ? (
            <SubscribeStep status={planOf(me.data).status} />
          ) : SAAS && !hasSlice ? (
            <ConnectStep busy={connectMut.isPending} error={connectMut.error} onConnect={() => connectMut.mutate()} />
          ) : (
            <LinkBody
              status={status}
              sliceState={sliceState}
              onRetry={SAAS ? () => connectMut.mutate() : undefined}
              retrying={connectMut.isPending || reloadMut.isPending}
              onReloadQr={() => reloadMut.mutate()}
              onOpenInbox={() => navigate('/inbox')}
            />
          )}
        </div>
      </div>
    </div>
  );
}

/** Billing is on and the plan does not allow a WhatsApp session: say so, and offer to subscribe. */
function SubscribeStep({ status }: { status: string }) {
  const words =
    status === 'past_due'
      ? 'A payment failed and the grace period is over, so your WhatsApp session is stopped. Your data and your WhatsApp login are kept: pay the open invoice and it starts again, with no new QR code.'
      : status === 'canceled'
        ? 'Your subscription has ended, so your WhatsApp session is stopped. Subscribe again to start it.'
        : 'Your plan does not include a WhatsApp session yet. Subscribe to link WhatsApp to Queunir.';
  return (
    <div data-testid="plan-required" className="flex flex-col items-center gap-4 py-6 text-center">
      <p className="max-w-md text-sm text-stone-600">{words}</p>
      <Link to="/billing" data-testid="go-subscribe" className="rounded-md bg-brand-600 px-5 py-2 text-sm font-medium text-white hover:bg-brand-700">
        {status === 'past_due' ? 'Fix payment' : 'Subscribe'}
      </Link>
    </div>
  );
}

function ConnectStep({ busy, error, onConnect }: { busy: boolean; error: unknown; onConnect: () => void }) {
  return (
    <div className="flex flex-col items-center gap-4 py-6 text-center">
      <p className="max-w-md text-sm text-stone-600">We start a private WhatsApp Web session for your account. It takes a few seconds; then a QR code appears here.</p>
      <Button data-testid="connect" onClick={onConnect} disabled={busy} className="px-5 py-2">
        {busy ? 'Starting…' : 'Start linking'}
      </Button>
      <ErrorLine error={error} testId="connect-error" />
    </div>
  );
}

export function LinkBody({
  status,
  sliceState,
  onRetry,
  retrying,
  onReloadQr,
  onOpenInbox,
}: {
  status: WaStatus | null;
  sliceState?: string | null;
  onRetry?: () => void;
  retrying?: boolean;
  /** Asks for a new code once the shown one expired and none came. */
  onReloadQr?: () => void;
  onOpenInbox?: () => void;
}) {
  const state = status?.state ?? (sliceState ? 'STARTING' : null);
  const words = describeWaState(state, status?.detail, status?.cause);
  const unlinked = unlinkedNotice(status, dayAndTime);
  const showQr = state === 'QR' && !!status?.qr;
  const [reloads, setReloads] = useState(0);
  const qrAge = useQrAge(showQr ? `${reloads}:${status!.qr!}` : null);
  const expired = showQr && qrAge >= QR_LIFETIME_S + QR_GRACE_S;
  return (
    <div className="grid gap-8 md:grid-cols-[1fr_auto]">
      <div className="space-y-4">
        {unlinked ? (
          <p role="alert" data-testid="unlinked-notice" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
            {unlinked}
          </p>
        ) : null}
        <StateBadge state={state} title={words.title} tone={words.tone} />
        <p data-testid="wa-state-hint" className="text-sm text-stone-600">
          {words.hint}
        </p>
        {state === 'QR' || state === 'STARTING' || state === null ? (
          <ol className="list-decimal space-y-1 pl-5 text-sm text-stone-600">
            <li>Open WhatsApp on your phone.</li>
            <li>
              Tap <b>Menu</b> or <b>Settings</b>, then <b>Linked devices</b>.
            </li>
            <li>
              Tap <b>Link a device</b> and point your phone at the code.
            </li>
          </ol>
        ) : null}
        {state === 'READY' && onOpenInbox ? (
          <Button data-testid="open-inbox" onClick={onOpenInbox}>
            Open the inbox
          </Button>
        ) : null}
        {(state === 'FAILED' || state === 'LOGGED_OUT' || state === 'DISCONNECTED') && onRetry ? (
          <Button data-testid="retry-link" variant="secondary" onClick={onRetry} disabled={retrying}>
            {retrying ? 'Restarting…' : state === 'LOGGED_OUT' ? 'Link again' : 'Try again'}
          </Button>
        ) : null}
        {state === 'QR' || state === 'STARTING' ? <PairingCode /> : null}
      </div>
      <div className="flex flex-col items-center gap-2">
        <div className="flex size-[264px] items-center justify-center rounded-md border border-stone-200 bg-stone-50">
          {showQr && expired ? (
            <div data-testid="qr-expired" className="flex flex-col items-center gap-3 px-6 text-center">
              <p className="text-sm text-stone-600">This code expired and no new one came.</p>
              {onReloadQr ? (
                <Button
                  data-testid="reload-qr"
                  onClick={() => {
                    setReloads((n) => n + 1);
                    onReloadQr();
                  }}
                  disabled={retrying}
                >
                  {retrying ? 'Asking for a new code…' : 'Reload QR code'}
                </Button>
              ) : null}
            </div>
          ) : showQr ? (
            <QrImage value={status!.qr!} />
          ) : state === 'READY' ? (
            <span className="text-brand-600" aria-hidden>
              <svg viewBox="0 0 48 48" className="size-16" fill="none" stroke="currentColor" strokeWidth="3">
                <circle cx="24" cy="24" r="20" />
                <path d="M15 24.5l6 6 12-13" />
              </svg>
            </span>
          ) : state === 'FAILED' || state === 'LOGGED_OUT' || state === 'DISCONNECTED' ? (
            <span className="px-6 text-center text-sm text-stone-500">No code to show</span>
          ) : (
            <span className="flex items-center gap-2 text-sm text-stone-500">
              <Spinner /> {state === 'AUTHENTICATING' ? 'Syncing…' : 'Preparing a code…'}
            </span>
          )}
        </div>
        {showQr && !expired ? <Countdown left={QR_LIFETIME_S - qrAge} /> : null}
      </div>
    </div>
  );
}

function StateBadge({ state, title, tone }: { state: string | null; title: string; tone: string }) {
  const colors: Record<string, string> = {
    neutral: 'bg-stone-100 text-stone-700',
    progress: 'bg-sky-50 text-sky-800',
    good: 'bg-brand-50 text-brand-700',
    warn: 'bg-amber-50 text-amber-800',
    bad: 'bg-red-50 text-red-800',
  };
  return (
    <div data-testid="wa-state" data-state={state ?? 'NONE'} className={cx('inline-flex items-center gap-2 rounded-full px-3 py-1 text-sm font-medium', colors[tone])}>
      {tone === 'progress' ? <Spinner className="size-3" /> : <span aria-hidden className="size-2 rounded-full bg-current" />}
      {title}
    </div>
  );
}

/** Whole seconds since this code arrived (0 again for each new code), up to the expiry. */
function useQrAge(qr: string | null): number {
  const [age, setAge] = useState(0);
  useEffect(() => {
    setAge(0);
    if (!qr) return undefined;
    const start = Date.now();
    const t = setInterval(() => {
      const s = Math.floor((Date.now() - start) / 1000);
      setAge(Math.min(s, QR_LIFETIME_S + QR_GRACE_S));
      if (s >= QR_LIFETIME_S + QR_GRACE_S) clearInterval(t);
    }, 250);
    return () => clearInterval(t);
  }, [qr]);
  return age;
}

/** Seconds until the code changes; then, for a short while, that a new one is on its way. */
function Countdown({ left }: { left: number }) {
  return (
    <p data-testid="qr-countdown" className="text-xs text-stone-500" aria-live="polite">
      {left > 0 ? `New code in ${left} s` : 'Getting a new code…'}
    </p>
  );
}

function PairingCode() {
  const [open, setOpen] = useState(false);
  const [phone, setPhone] = useState('');
  const [error, setError] = useState<ReactNode>(null);
  const mut = useMutation({
    mutationFn: (n: string) => requestPairingCode(n),
    onError: (e) => setError(<ErrorText error={e} />),
    onSuccess: () => setError(null),
  });
  if (!open) {
    return (
      <button type="button" data-testid="use-pairing-code" onClick={() => setOpen(true)} className="text-sm font-medium text-brand-700 hover:underline">
        Link with phone number instead
      </button>
    );
  }
  return (
    <form
      className="space-y-2 rounded-lg border border-stone-200 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        const digits = phone.replace(/[^\d]/g, '');
        if (digits.length < 7) return setError('Enter the full number with the country code, digits only (e.g. 4915123456789).');
        mut.mutate(digits);
      }}
    >
      <TextField id="pairing-phone" label="Phone number with country code" inputMode="tel" placeholder="4915123456789" value={phone} onChange={(e) => setPhone(e.target.value)} error={error} />
      <Button type="submit" variant="secondary" disabled={mut.isPending}>
        {mut.isPending ? 'Requesting…' : 'Get pairing code'}
      </Button>
      {mut.data ? (
        <div className="space-y-1">
          <p className="text-sm text-stone-600">On your phone: Linked devices → Link a device → Link with phone number, then enter:</p>
          <p data-testid="pairing-code" className="font-mono text-2xl tracking-[0.25em] text-stone-900">
            {formatPairingCode(mut.data.code)}
          </p>
        </div>
      ) : null}
    </form>
  );
}

export function formatPairingCode(code: string): string {
  const c = code.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  return c.length === 8 ? `${c.slice(0, 4)}-${c.slice(4)}` : c;
}
