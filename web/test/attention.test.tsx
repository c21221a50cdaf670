import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, screen } from '@testing-library/react';
import { QueryClient } from '@tanstack/react-query';
import { countUnreadChats, isMine, shouldAlert, tabTitle } from '../src/lib/attention.ts';
import { alertNewMessage, alertOutputs, writePrefs } from '../src/events/alerts.ts';
import { applyEvent } from '../src/events/apply.ts';
import { keys, normaliseFilters } from '../src/api/keys.ts';
import type { Chat, Message } from '../src/api/types.ts';
import { AppShell } from '../src/components/app-shell.tsx';
import { fakeFetch, renderWith } from './helpers.tsx';

const chat = (id: string, extra: Partial<Chat> = {}): Chat => ({ id, name: `Chat ${id}`, phone: null, preview: null, lastMessageAt: null, unreadCount: 0, labels: [], stageId: null, ...extra });
const msg = (id: string, chatId: string, direction: 'in' | 'out' = 'in'): Message => ({ id, chatId, direction, author: null, body: 'Is the *order* ready?', sentAt: new Date().toISOString(), ack: 1, mediaKind: null, quotedId: null });

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('which new messages ask for attention', () => {
  const ctx = { meId: 7, openChatId: null, visible: true };
  it('a message from the contact in a chat assigned to nobody', () => {
    expect(shouldAlert(msg('1', 'a'), chat('a'), ctx)).toBe(true);
    expect(shouldAlert(msg('1', 'a'), chat('a', { assignee: null }), ctx)).toBe(true);
    expect(shouldAlert(msg('1', 'a'), undefined, ctx)).toBe(true); // a chat not loaded yet
  });
  it('assigned to me counts; assigned to someone else does not', () => {
    expect(shouldAlert(msg('1', 'a'), chat('a', { assignee: 7 }), ctx)).toBe(true);
    expect(shouldAlert(msg('1', 'a'), chat('a', { assignee: '7' }), ctx)).toBe(true);
    expect(shouldAlert(msg('1', 'a'), chat('a', { assignee: 8 }), ctx)).toBe(false);
    expect(isMine(chat('a', { assignee: 8 }), null)).toBe(false);
  });
  it('muted chats stay silent, my own messages too', () => {
    expect(shouldAlert(msg('1', 'a'), chat('a', { muted: true }), ctx)).toBe(false);
    expect(shouldAlert(msg('1', 'a'), chat('a', { muted: false }), ctx)).toBe(true);
    expect(shouldAlert(msg('1', 'a', 'out'), chat('a'), ctx)).toBe(false);
  });
  it('the open chat of a tab in front is being read; in a hidden tab it alerts', () => {
    expect(shouldAlert(msg('1', 'a'), chat('a'), { ...ctx, openChatId: 'a' })).toBe(false);
    expect(shouldAlert(msg('1', 'a'), chat('a'), { ...ctx, openChatId: 'a', visible: false })).toBe(true);
    expect(shouldAlert(msg('1', 'b'), chat('b'), { ...ctx, openChatId: 'a' })).toBe(true);
  });
});

describe('the tab title', () => {
  it('counts chats with unread messages once each', () => {
    expect(tabTitle(0)).toBe('Queunir');
    expect(tabTitle(3)).toBe('(3) Queunir');
    expect(countUnreadChats([[chat('a', { unreadCount: 2 }), chat('b')], [chat('a', { unreadCount: 2 }), chat('c', { unreadCount: 1 })]])).toBe(2);
  });

  it('follows the cached chat lists live, and the Inbox item shows the same count', async () => {
    const me = { user: { id: 7, email: 'a@b.c', role: 'user' }, csrfToken: 't', slice: { id: 1, state: 'RUNNING', health: null }, wa: { state: 'READY', qr: null }, plan: { status: 'active' } };
    fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: me } : c.path === '/api/wa' ? { status: 200, body: me.wa } : undefined));
    vi.stubGlobal('EventSource', class { addEventListener() {} close() {} });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
    client.setQueryData(keys.chats(normaliseFilters({})), { pages: [{ items: [chat('a', { unreadCount: 1 }), chat('b'), chat('c', { unreadCount: 4 })], nextCursor: null }], pageParams: [null] });
    renderWith(<AppShell>inbox</AppShell>, { client, route: '/inbox' });
    expect(document.title).toBe('(2) Queunir');
    expect(screen.getByTestId('nav-unread').textContent).toBe('2');
    vi.spyOn(alertOutputs, 'beep').mockImplementation(() => undefined);
    act(() => applyEvent(client, { type: 'message.created', data: { ...msg('m1', 'b'), chatId: 'b' } }));
    expect(document.title).toBe('(3) Queunir');
  });
});

describe('sound and desktop notifications', () => {
  it('a new message beeps, and notifies only once permission was given from Settings', () => {
    const beep = vi.spyOn(alertOutputs, 'beep').mockImplementation(() => undefined);
    const notify = vi.spyOn(alertOutputs, 'notify').mockImplementation(() => undefined);
    const requestPermission = vi.fn(async () => 'granted' as const);
    vi.stubGlobal('Notification', Object.assign(function () {}, { permission: 'default', requestPermission }));
    const qc = new QueryClient();
    qc.setQueryData(keys.chats(normaliseFilters({})), { pages: [{ items: [chat('a', { name: '351912345678' }), chat('m', { muted: true }), chat('x', { assignee: 99 })], nextCursor: null }], pageParams: [null] });
    writePrefs({ sound: true, desktop: false });
    const open = vi.fn();
    expect(alertNewMessage(qc, msg('n1', 'a'), { openChatId: null, openChat: open })).toBe(true);
    expect(beep).toHaveBeenCalledTimes(1);
    expect(notify).not.toHaveBeenCalled();
    expect(requestPermission).not.toHaveBeenCalled(); // never asked by a message, only by the Settings button
    expect(alertNewMessage(qc, msg('n1', 'a'), { openChatId: null, openChat: open })).toBe(false); // a replayed event
    expect(alertNewMessage(qc, msg('n2', 'm'), { openChatId: null, openChat: open })).toBe(false);
    expect(alertNewMessage(qc, msg('n3', 'x'), { openChatId: null, openChat: open })).toBe(false);
    expect(beep).toHaveBeenCalledTimes(1);

    (Notification as unknown as { permission: string }).permission = 'granted';
    writePrefs({ sound: false, desktop: true });
    expect(alertNewMessage(qc, msg('n4', 'a'), { openChatId: null, openChat: open })).toBe(true);
    expect(beep).toHaveBeenCalledTimes(1);
    expect(notify).toHaveBeenCalledWith('+351 912 345 678', 'Is the order ready?', 'chat-a', expect.any(Function));
    (notify.mock.calls[0]![3] as () => void)();
    expect(open).toHaveBeenCalledWith('a');
  });
});
