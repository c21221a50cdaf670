// Issue 14 bugs and settings: the QR that expires without a new one, the screens before WhatsApp is
// linked, settings in words, billing in the navigation, the composer focused, one <main>.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { LinkBody, LinkScreen } from '../src/screens/link.tsx';
import { InboxScreen } from '../src/screens/inbox.tsx';
import { PipelineScreen } from '../src/screens/pipeline.tsx';
import { SettingsScreen } from '../src/screens/settings.tsx';
import { AppShell } from '../src/components/app-shell.tsx';
import { AuthForm } from '../src/screens/auth.tsx';
import type { WaStatus } from '../src/api/types.ts';
import { fakeFetch, renderWith } from './helpers.tsx';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const st = (state: WaStatus['state'], extra: Partial<WaStatus> = {}): WaStatus => ({ state, qr: null, since: null, detail: null, ...extra });
const me = (extra: Record<string, unknown> = {}) => ({ user: { id: 1, email: 'ana@shop.test', role: 'user' }, csrfToken: 't', slice: null, wa: null, plan: { status: 'active' }, ...extra });
const notConnected = { status: 409, body: { error: { kind: 'FailedPrecondition', code: 'SLICE_NOT_CONNECTED', message: 'no WhatsApp workspace yet: connect first (POST /api/connect)' } } };

describe('the QR code that expires', () => {
  it('says so and offers "Reload QR code" instead of "Getting a new code…" forever', () => {
    vi.useFakeTimers();
    const reload = vi.fn();
    renderWith(<LinkBody status={st('QR', { qr: '2@old,code' })} onReloadQr={reload} />);
    act(() => vi.advanceTimersByTime(21_000));
    expect(screen.getByTestId('qr-countdown').textContent).toBe('Getting a new code…');
    act(() => vi.advanceTimersByTime(10_000));
    expect(screen.queryByTestId('qr-countdown')).toBeNull();
    expect(screen.queryByTestId('wa-qr')).toBeNull(); // an expired code is not offered for scanning
    expect(screen.getByTestId('qr-expired').textContent).toContain('This code expired');
    act(() => screen.getByTestId('reload-qr').click());
    expect(reload).toHaveBeenCalledTimes(1);
    // Asked again: the countdown starts over while the new code is on its way.
    expect(screen.getByTestId('qr-countdown').textContent).toBe('New code in 20 s');
  });

  it('a new code arriving restarts the countdown', () => {
    vi.useFakeTimers();
    const { rerender } = renderWith(<LinkBody status={st('QR', { qr: 'first' })} onReloadQr={() => undefined} />);
    act(() => vi.advanceTimersByTime(25_000));
    rerender(<LinkBody status={st('QR', { qr: 'second' })} onReloadQr={() => undefined} />);
    expect(screen.getByTestId('qr-countdown').textContent).toBe('New code in 20 s');
    expect(screen.getByTestId('wa-qr').getAttribute('data-qr')).toBe('second');
  });

  it('on the link screen, the reload button asks the slice for a fresh code (POST /api/wa/reload-qr)', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const linked = me({ slice: { id: 1, state: 'RUNNING', health: null }, wa: st('QR', { qr: 'stale' }) });
    const calls = fakeFetch((c) =>
      c.path === '/api/me' ? { status: 200, body: linked } : c.path === '/api/wa' ? { status: 200, body: st('QR', { qr: 'stale' }) } : c.path === '/api/wa/reload-qr' ? { status: 202, body: st('STARTING') } : undefined,
    );
    renderWith(<LinkScreen />, { route: '/link' });
    await screen.findByTestId('wa-qr');
    act(() => vi.advanceTimersByTime(31_000));
    const button = await screen.findByTestId('reload-qr');
    act(() => button.click());
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/api/wa/reload-qr')).toBe(true));
    expect(calls.some((c) => c.path === '/api/connect')).toBe(false);
  });
});

describe('before WhatsApp is linked', () => {
  function serveUnlinked() {
    return fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me() } : c.path.startsWith('/api/') && c.method === 'GET' ? notConnected : undefined));
  }

  it('the inbox shows a friendly empty state with "Link WhatsApp", not a red error', async () => {
    serveUnlinked();
    renderWith(
      <Routes>
        <Route path="/inbox" element={<InboxScreen />} />
      </Routes>,
      { route: '/inbox' },
    );
    const empty = await screen.findByTestId('not-linked');
    expect(empty.textContent).toContain('Link WhatsApp to see your chats here.');
    expect(screen.getByTestId('link-whatsapp').getAttribute('href')).toBe('/link');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByText('Try again')).toBeNull();
  });

  it('so do the pipeline and Settings → Labels', async () => {
    serveUnlinked();
    renderWith(<PipelineScreen />, { route: '/pipeline' });
    expect((await screen.findByTestId('not-linked')).textContent).toContain('your pipeline');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('Settings → Labels', async () => {
    serveUnlinked();
    renderWith(<SettingsScreen />, { route: '/settings' });
    expect((await screen.findByTestId('not-linked')).textContent).toContain('your labels');
    expect(screen.queryByText('Try again')).toBeNull();
  });

  it('labels can be prepared before the phone is linked: the workspace is set up, then a label added', async () => {
    let connected = false;
    const labels: { id: number; name: string; color: string }[] = [];
    const calls = fakeFetch((c) => {
      if (c.path === '/api/me') return { status: 200, body: connected ? me({ slice: { id: 1, state: 'RUNNING', health: null }, wa: st('QR', { qr: 'q' }) }) : me() };
      if (c.path === '/api/connect' && c.method === 'POST') {
        connected = true;
        return { status: 202, body: me({ slice: { id: 1, state: 'RUNNING', health: null }, wa: st('QR', { qr: 'q' }) }) };
      }
      if (!connected && c.path.startsWith('/api/') && c.method === 'GET') return notConnected;
      if (c.path === '/api/wa') return { status: 200, body: st('QR', { qr: 'q' }) };
      if (c.path === '/api/labels' && c.method === 'GET') return { status: 200, body: { items: labels, nextCursor: null } };
      if (c.path === '/api/labels' && c.method === 'POST') {
        const l = { id: labels.length + 1, ...(c.body as { name: string; color: string }) };
        labels.push(l);
        return { status: 201, body: l };
      }
      return undefined;
    });
    renderWith(<SettingsScreen />, { route: '/settings' });
    fireEvent.click(await screen.findByTestId('prepare-workspace'));
    const input = await screen.findByTestId('new-label');
    expect(screen.queryByTestId('not-linked')).toBeNull();
    fireEvent.change(input, { target: { value: 'VIP' } });
    fireEvent.submit(input.closest('form')!);
    await waitFor(() => expect(labels.map((l) => l.name)).toEqual(['VIP']));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/connect', '/api/labels']);
    await screen.findByText('VIP');
  });
});

describe('settings and navigation', () => {
  it('settings show words, not raw values', async () => {
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me({ plan: { status: 'trialing', enabled: true, currentPeriodEnd: '2026-12-31T00:00:00Z' } }) } : c.path === '/api/labels' ? { status: 200, body: { items: [], nextCursor: null } } : undefined));
    renderWith(<SettingsScreen />, { route: '/settings' });
    expect((await screen.findByTestId('account-role')).textContent).toBe('Owner of this account');
    expect(screen.getByTestId('account-plan').textContent).toBe('Free trial');
    expect(screen.getByTestId('settings-account').textContent).not.toMatch(/\buser\b|trialing/);
  });

  it('desktop notifications are asked for only from the Settings button', async () => {
    const requestPermission = vi.fn(async () => 'granted' as const);
    vi.stubGlobal('Notification', Object.assign(function () {}, { permission: 'default', requestPermission }));
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me() } : c.path === '/api/labels' ? { status: 200, body: { items: [], nextCursor: null } } : undefined));
    renderWith(<SettingsScreen />, { route: '/settings' });
    const on = await screen.findByTestId('notifications-on');
    expect(requestPermission).not.toHaveBeenCalled();
    act(() => on.click());
    await waitFor(() => expect(requestPermission).toHaveBeenCalledTimes(1));
    (Notification as unknown as { permission: string }).permission = 'granted';
    expect((await screen.findByTestId('notifications-state')).textContent).toContain('on');
    expect(JSON.parse(localStorage.getItem('queunir.alerts')!)).toMatchObject({ desktop: true });
  });

  it('Billing is in the navigation when billing is on, and each page has one <main>', async () => {
    vi.stubGlobal('EventSource', class { addEventListener() {} close() {} });
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me({ slice: { id: 1, state: 'RUNNING', health: null }, wa: st('QR', { qr: 'x' }), plan: { status: 'active', enabled: true, allowed: true } }) } : c.path === '/api/wa' ? { status: 200, body: st('QR', { qr: 'x' }) } : undefined));
    const { container } = renderWith(
      <AppShell>
        <LinkScreen />
      </AppShell>,
      { route: '/link' },
    );
    expect(await screen.findByTestId('nav-billing')).toBeTruthy();
    await screen.findByTestId('wa-qr');
    expect(container.querySelectorAll('main')).toHaveLength(1);
  });

  it('without billing there is no Billing item', async () => {
    vi.stubGlobal('EventSource', class { addEventListener() {} close() {} });
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me() } : undefined));
    renderWith(<AppShell>x</AppShell>, { route: '/settings' });
    await screen.findByTestId('nav-settings');
    await waitFor(() => expect(screen.queryByTestId('nav-billing')).toBeNull());
  });

  it('the password rule shows before it is broken, and the password can be shown', () => {
    renderWith(<AuthForm mode="register" onDone={() => undefined} />);
    const rule = screen.getByTestId('password-rule');
    expect(rule.textContent).toContain('At least 10 characters');
    const input = screen.getByLabelText('Password') as HTMLInputElement;
    expect(input.getAttribute('aria-describedby')).toContain('password-hint');
    fireEvent.change(input, { target: { value: 'long enough!' } });
    expect(screen.getByTestId('password-rule').getAttribute('data-met')).toBe('true');
    expect(input.type).toBe('password');
    act(() => screen.getByTestId('toggle-password').click());
    expect(input.type).toBe('text');
    expect(screen.getByTestId('toggle-password').getAttribute('aria-pressed')).toBe('true');
  });
});
