import { describe, expect, it } from 'vitest';
import { QueryClient } from '@tanstack/react-query';
import { applyEvent } from '../src/events/apply.ts';
import { addMessage, chronological, type Pages } from '../src/events/cache.ts';
import { keys } from '../src/api/keys.ts';
import type { Chat, Me, Message, WaStatus } from '../src/api/types.ts';

const chat = (id: string, minutesAgo: number, extra: Partial<Chat> = {}): Chat => ({
  id,
  name: `Chat ${id}`,
  phone: null,
  preview: `hello from ${id}`,
  lastMessageAt: new Date(Date.UTC(2026, 10, 25, 12, 0) - minutesAgo * 60_000).toISOString(),
  unreadCount: 0,
  labels: [],
  stageId: null,
  ...extra,
});
const msg = (id: string, chatId: string, at: string, extra: Partial<Message> = {}): Message => ({
  id,
  chatId,
  direction: 'in',
  author: null,
  body: `body ${id}`,
  sentAt: at,
  ack: 1,
  mediaKind: null,
  quotedId: null,
  ...extra,
});
const pages = <T,>(...p: Array<{ items: T[]; nextCursor: string | null }>) => ({ pages: p, pageParams: p.map((_, i) => (i === 0 ? null : `c${i}`)) });
const ids = (d: Pages<Chat> | undefined) => d!.pages.flatMap((p) => p.items.map((c) => c.id));

function seeded() {
  const qc = new QueryClient();
  qc.setQueryData(keys.chats({}), pages({ items: [chat('a', 1), chat('b', 5), chat('c', 10)], nextCursor: 'c1' }, { items: [chat('d', 20)], nextCursor: 'c2' }));
  qc.setQueryData(keys.chats({ unread: true }), pages({ items: [chat('b', 5, { unreadCount: 2 })], nextCursor: null }));
  qc.setQueryData(keys.messages('c'), pages({ items: [msg('m2', 'c', '2026-11-25T11:50:00.000Z'), msg('m1', 'c', '2026-11-25T11:40:00.000Z')], nextCursor: 'older' }));
  return qc;
}

describe('events → cache reducer', () => {
  it('message.created appends to its chat, moves the chat to the top with the new preview and unread count', () => {
    const qc = seeded();
    applyEvent(qc, { type: 'message.created', data: msg('m3', 'c', '2026-11-25T12:01:00.000Z', { body: 'new one' }) });
    const messages = qc.getQueryData<Pages<Message>>(keys.messages('c'));
    expect(chronological(messages).map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
    const list = qc.getQueryData<Pages<Chat>>(keys.chats({}));
    expect(ids(list)).toEqual(['c', 'a', 'b', 'd']);
    expect(list!.pages[0]!.items[0]).toMatchObject({ id: 'c', preview: 'new one', unreadCount: 1, lastMessageAt: '2026-11-25T12:01:00.000Z' });
    // The unread-only list now includes c too, newest first.
    expect(ids(qc.getQueryData(keys.chats({ unread: true })))).toEqual(['c', 'b']);
  });

  it('does not count a message in the open chat as unread, and never adds the same message twice', () => {
    const qc = seeded();
    const m = msg('m3', 'c', '2026-11-25T12:01:00.000Z');
    applyEvent(qc, { type: 'message.created', data: m }, { openChatId: 'c' });
    applyEvent(qc, { type: 'message.created', data: m }, { openChatId: 'c' });
    expect(chronological(qc.getQueryData(keys.messages('c'))).map((x) => x.id)).toEqual(['m1', 'm2', 'm3']);
    expect(qc.getQueryData<Pages<Chat>>(keys.chats({}))!.pages[0]!.items[0]).toMatchObject({ id: 'c', unreadCount: 0 });
  });

  it('reset (the server could not replay what was missed) marks every cached query stale', () => {
    const qc = seeded();
    applyEvent(qc, { type: 'reset', data: { reason: 'gone' } });
    const all = qc.getQueryCache().findAll();
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((q) => q.state.isInvalidated)).toBe(true);
  });

  it('message.updated changes the ack of the message in place', () => {
    const qc = seeded();
    applyEvent(qc, { type: 'message.updated', data: msg('m2', 'c', '2026-11-25T11:50:00.000Z', { ack: 3 }) });
    const all = chronological(qc.getQueryData(keys.messages('c')));
    expect(all.find((m) => m.id === 'm2')!.ack).toBe(3);
    expect(all).toHaveLength(2);
  });

  it('chat.updated reorders live, and drops a chat from a list whose filter it no longer matches', () => {
    const qc = seeded();
    applyEvent(qc, { type: 'chat.updated', data: chat('d', 0, { preview: 'back on top' }) });
    expect(ids(qc.getQueryData(keys.chats({})))).toEqual(['d', 'a', 'b', 'c']);
    applyEvent(qc, { type: 'chat.updated', data: chat('b', 5, { unreadCount: 0 }) });
    expect(ids(qc.getQueryData(keys.chats({ unread: true })))).toEqual([]);
    // A chat older than everything loaded, while more pages exist, waits for its page.
    applyEvent(qc, { type: 'chat.updated', data: chat('zz', 999) });
    expect(ids(qc.getQueryData(keys.chats({})))).not.toContain('zz');
  });

  it('wa.qr and wa.state update the session status (and the /api/me copy)', () => {
    const qc = new QueryClient();
    qc.setQueryData<Me>(keys.me, { user: { id: 1, email: 'a@b.c', role: 'user' }, csrfToken: 't', slice: { id: 1, state: 'STARTING', health: null }, wa: null, plan: { status: 'active' } });
    applyEvent(qc, { type: 'wa.qr', data: { qr: '2@abc' } });
    expect(qc.getQueryData<WaStatus>(keys.wa)).toMatchObject({ state: 'QR', qr: '2@abc' });
    expect(qc.getQueryData<Me>(keys.me)!.wa).toMatchObject({ state: 'QR', qr: '2@abc' });
    applyEvent(qc, { type: 'wa.state', data: { state: 'READY', since: '2026-11-25T12:00:00.000Z', detail: null } });
    expect(qc.getQueryData<WaStatus>(keys.wa)).toMatchObject({ state: 'READY', qr: null });
    applyEvent(qc, { type: 'slice.state', data: { state: 'RUNNING' } });
    expect(qc.getQueryData<Me>(keys.me)!.slice!.state).toBe('RUNNING');
  });

  it('a pending send is replaced by the server copy, whichever of the POST answer and the event comes first', () => {
    const base = pages<Message>({ items: [msg('m1', 'c', '2026-11-25T11:40:00.000Z')], nextCursor: null });
    const pending = msg('pending:1', 'c', '2026-11-25T12:00:00.000Z', { direction: 'out', ack: 0 });
    const real = msg('srv9', 'c', '2026-11-25T12:00:01.000Z', { direction: 'out', ack: 0 });
    // Answer first.
    let d = addMessage(addMessage(base, pending), real, 'pending:1');
    d = addMessage(d, real);
    expect(chronological(d).map((m) => m.id)).toEqual(['m1', 'srv9']);
    // Event first.
    let e = addMessage(addMessage(base, pending), real);
    e = addMessage(e, real, 'pending:1');
    expect(chronological(e).map((m) => m.id)).toEqual(['m1', 'srv9']);
  });
});
