// What a business owner reads when WhatsApp is not READY: words per cause (the slice's stable code),
// the technical detail after them, and the notice that stays while the number is unlinked.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor } from '@testing-library/react';
import { QueryClient } from '@tanstack/react-query';
import { WA_CAUSES } from '../../slice/wa/types.ts';
import { describeWaState, unlinkedNotice } from '../src/lib/wa-state.ts';
import { LinkBody } from '../src/screens/link.tsx';
import { AppShell } from '../src/components/app-shell.tsx';
import { applyEvent } from '../src/events/apply.ts';
import type { WaStatus } from '../src/api/types.ts';
import { fakeFetch, renderWith } from './helpers.tsx';

afterEach(() => {
  vi.unstubAllGlobals();
});

const st = (state: WaStatus['state'], extra: Partial<WaStatus> = {}): WaStatus => ({ state, qr: null, since: null, detail: null, cause: null, lastLogout: null, ...extra });

describe('words per cause', () => {
  it('every cause the slice can report has words of its own, none of them the bare state', () => {
    for (const cause of WA_CAUSES) {
      const w = describeWaState('DISCONNECTED', null, cause);
      expect(w.hint, cause).not.toMatch(/phone is not reachable/);
      expect(w.title.length, cause).toBeGreaterThan(3);
    }
  });

  it('WhatsApp Web unreachable reads as our side, not the phone, with the technical detail after', () => {
    renderWith(<LinkBody status={st('DISCONNECTED', { cause: 'unreachable', detail: 'cannot reach WhatsApp Web: net::ERR_NAME_NOT_RESOLVED' })} onRetry={() => undefined} />);
    expect(screen.getByTestId('wa-state').textContent).toBe('Cannot reach WhatsApp');
    const hint = screen.getByTestId('wa-state-hint').textContent!;
    expect(hint).toMatch(/^Our server cannot reach WhatsApp/);
    expect(hint).toContain('keep trying by ourselves');
    expect(hint).toContain('(cannot reach WhatsApp Web: net::ERR_NAME_NOT_RESOLVED)');
  });

  it('a restart that keeps the login says no scan is needed', () => {
    for (const cause of ['page_hung', 'page_crashed', 'ready_timeout', 'escaped_error'] as const) {
      expect(describeWaState('DISCONNECTED', null, cause).hint).toContain('no need to scan again');
    }
  });

  it('a cause the app does not know (a newer slice) falls back to the state’s words', () => {
    expect(describeWaState('DISCONNECTED', 'x', 'something_new' as never).title).toBe('Phone offline');
    expect(describeWaState('QR', null, 'phone_unlinked').title).toBe('Waiting for scan');
  });
});

describe('the number unlinked from the phone', () => {
  const unlinked = st('QR', { qr: '2@fresh', lastLogout: { at: '2026-12-02T14:05:00.000Z', by: 'phone' } });

  it('the notice names the phone and the time, and is gone once READY', () => {
    const text = unlinkedNotice(unlinked, () => '2 December, 14:05');
    expect(text).toBe('WhatsApp was unlinked from your phone on 2 December, 14:05. Messages are not coming in: scan the new code to link your number again.');
    expect(unlinkedNotice({ ...unlinked, state: 'READY' }, () => 'x')).toBeNull();
    expect(unlinkedNotice(st('QR'), () => 'x')).toBeNull();
    expect(unlinkedNotice({ ...unlinked, lastLogout: { at: unlinked.lastLogout!.at, by: 'user' } }, () => 'then')).toMatch(/logged out from here on then/);
  });

  it('the Link screen shows it above the new code', () => {
    renderWith(<LinkBody status={unlinked} />);
    expect(screen.getByTestId('unlinked-notice').textContent).toMatch(/unlinked from your phone/);
    expect(screen.getByTestId('wa-qr')).toBeTruthy();
  });

  it('every other screen shows a banner until a wa.state event says READY', async () => {
    const me = { user: { id: 7, email: 'a@b.c', role: 'user' }, csrfToken: 't', slice: { id: 1, state: 'RUNNING', health: null }, wa: unlinked, plan: { status: 'active' } };
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me } : c.path === '/api/wa' ? { status: 200, body: unlinked } : undefined));
    vi.stubGlobal('EventSource', class { addEventListener() {} close() {} });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
    renderWith(<AppShell>inbox</AppShell>, { client, route: '/inbox' });
    const banner = await screen.findByTestId('unlinked-banner');
    expect(banner.getAttribute('data-by')).toBe('phone');
    expect(banner.textContent).toMatch(/unlinked from your phone/);
    act(() => applyEvent(client, { type: 'wa.state', data: { state: 'READY', since: '2026-12-02T14:10:00.000Z', detail: null, cause: null, lastLogout: null } }));
    await waitFor(() => expect(screen.queryByTestId('unlinked-banner')).toBeNull());
  });
});
