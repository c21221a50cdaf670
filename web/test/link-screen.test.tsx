import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor } from '@testing-library/react';
import { LinkBody, LinkScreen, formatPairingCode } from '../src/screens/link.tsx';
import { qrSvg } from '../src/components/qr-image.tsx';
import { applyEvent } from '../src/events/apply.ts';
import type { WaStatus } from '../src/api/types.ts';
import { fakeFetch, renderWith } from './helpers.tsx';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const st = (state: WaStatus['state'], extra: Partial<WaStatus> = {}): WaStatus => ({ state, qr: null, since: null, detail: null, ...extra });

describe('Link WhatsApp screen', () => {
  it.each([
    [st('STARTING'), 'Starting'],
    [st('QR', { qr: '2@abc,def' }), 'Waiting for scan'],
    [st('AUTHENTICATING'), 'Syncing'],
    [st('READY'), 'Connected'],
    [st('DISCONNECTED'), 'Phone offline'],
    [st('LOGGED_OUT'), 'Logged out'],
  ])('state %o reads “%s”', (status, words) => {
    renderWith(<LinkBody status={status} />);
    expect(screen.getByTestId('wa-state').textContent).toBe(words);
    expect(screen.getByTestId('wa-state').getAttribute('data-state')).toBe(status.state);
  });

  it('failed shows the reason', () => {
    renderWith(<LinkBody status={st('FAILED', { detail: 'Chromium exited with code 21' })} onRetry={() => undefined} />);
    expect(screen.getByTestId('wa-state').textContent).toBe('Failed');
    expect(screen.getByTestId('wa-state-hint').textContent).toContain('Chromium exited with code 21');
    expect(screen.getByTestId('retry-link')).toBeTruthy();
  });

  it('renders the QR string as an image and counts down to the next code', () => {
    vi.useFakeTimers();
    renderWith(<LinkBody status={st('QR', { qr: '2@XyZ,key,more' })} />);
    const img = screen.getByTestId('wa-qr') as HTMLImageElement;
    expect(img.tagName).toBe('IMG');
    expect(img.src.startsWith('data:image/svg+xml')).toBe(true);
    expect(decodeURIComponent(img.src)).toContain('<path d="M');
    expect(screen.getByTestId('qr-countdown').textContent).toBe('New code in 20 s');
    act(() => vi.advanceTimersByTime(5_100));
    expect(screen.getByTestId('qr-countdown').textContent).toBe('New code in 15 s');
    act(() => vi.advanceTimersByTime(20_000));
    expect(screen.getByTestId('qr-countdown').textContent).toBe('Getting a new code…');
  });

  it('the QR image follows wa.qr and wa.state events live', async () => {
    const me = { user: { id: 1, email: 'a@b.c', role: 'user' }, csrfToken: 't', slice: { id: 1, state: 'RUNNING', health: null }, wa: st('QR', { qr: 'first-code' }), plan: { status: 'active' } };
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me } : c.path === '/api/wa' ? { status: 200, body: st('QR', { qr: 'first-code' }) } : undefined));
    const { client } = renderWith(<LinkScreen />, { route: '/link' });
    const first = await screen.findByTestId('wa-qr');
    expect(first.getAttribute('data-qr')).toBe('first-code');
    const firstSrc = (first as HTMLImageElement).src;
    act(() => applyEvent(client, { type: 'wa.qr', data: { qr: 'second-code' } }));
    await waitFor(() => expect(screen.getByTestId('wa-qr').getAttribute('data-qr')).toBe('second-code'));
    expect((screen.getByTestId('wa-qr') as HTMLImageElement).src).not.toBe(firstSrc);
    act(() => applyEvent(client, { type: 'wa.state', data: { state: 'AUTHENTICATING', since: new Date().toISOString() } }));
    await waitFor(() => expect(screen.getByTestId('wa-state').textContent).toBe('Syncing'));
    expect(screen.queryByTestId('wa-qr')).toBeNull();
    act(() => applyEvent(client, { type: 'wa.state', data: { state: 'READY', since: new Date().toISOString() } }));
    await waitFor(() => expect(screen.getByTestId('wa-state').textContent).toBe('Connected'));
  });

  it('without a slice yet, offers to start linking', async () => {
    const me = { user: { id: 1, email: 'a@b.c', role: 'user' }, csrfToken: 't', slice: null, wa: null, plan: { status: 'active' } };
    const calls = fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me } : c.path === '/api/connect' ? { status: 202, body: { ...me, slice: { id: 1, state: 'STARTING', health: null }, wa: st('STARTING') } } : undefined));
    renderWith(<LinkScreen />, { route: '/link' });
    const button = await screen.findByTestId('connect');
    act(() => button.click());
    await waitFor(() => expect(screen.getByTestId('wa-state').textContent).toBe('Starting'));
    const post = calls.find((c) => c.path === '/api/connect')!;
    expect(post.method).toBe('POST');
    expect(post.headers['x-csrf-token']).toBe('t');
  });

  it('QR encoder: different payloads give different images; pairing codes are shown in two halves', () => {
    expect(qrSvg('a')).not.toBe(qrSvg('b'));
    expect(qrSvg('2@' + 'x'.repeat(200))).toMatch(/^<svg .*viewBox="0 0 \d+ \d+"/);
    expect(formatPairingCode('abcd1234')).toBe('ABCD-1234');
  });
});
