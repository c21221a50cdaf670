// Pin, mute and archive (issue 14): pinned chats stay first in the cached lists as messages move
// chats, archived chats leave the main list live, and the header's menu changes a flag at once,
// by keyboard too, putting it back with the error in words when WhatsApp did not confirm it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { QueryClient } from '@tanstack/react-query';
import { applyEvent } from '../src/events/apply.ts';
import type { Pages } from '../src/events/cache.ts';
import { keys } from '../src/api/keys.ts';
import type { Chat } from '../src/api/types.ts';
import { ChatActionsMenu } from '../src/components/chat-actions.tsx';
import { ChatList } from '../src/components/chat-list.tsx';
import { InboxScreen } from '../src/screens/inbox.tsx';
import { fakeFetch, fakeLayout, renderWith } from './helpers.tsx';

fakeLayout();
afterEach(() => vi.unstubAllGlobals());

const at = (minutesAgo: number) => new Date(Date.UTC(2026, 10, 25, 12, 0) - minutesAgo * 60_000).toISOString();
const chat = (id: string, minutesAgo: number, extra: Partial<Chat> = {}): Chat => ({
  id,
  name: `Chat ${id}`,
  phone: null,
  preview: `hello from ${id}`,
  lastMessageAt: at(minutesAgo),
  unreadCount: 0,
  labels: [],
  stageId: null,
  pinned: false,
  muted: false,
  archived: false,
  ...extra,
});
const list = (...items: Chat[]) => ({ pages: [{ items, nextCursor: null }], pageParams: [null] });
const ids = (qc: QueryClient, f = {}) => qc.getQueryData<Pages<Chat>>(keys.chats(f))!.pages.flatMap((p) => p.items.map((c) => c.id));
const message = (chatId: string, minutesAgo: number) => ({ id: `m-${chatId}-${minutesAgo}`, chatId, direction: 'in', author: null, body: 'new', sentAt: at(minutesAgo), ack: 1, mediaKind: null, quotedId: null });

describe('pinned first in the cached lists', () => {
  it('a new message moves a chat to the top of the unpinned ones, never above a pinned chat', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.chats({}), list(chat('p1', 60, { pinned: true }), chat('p2', 90, { pinned: true }), chat('a', 5), chat('b', 10)));
    applyEvent(qc, { type: 'message.created', data: message('b', 0) });
    expect(ids(qc)).toEqual(['p1', 'p2', 'b', 'a']);
    // A pinned chat with a new message goes to the top of the pinned ones.
    applyEvent(qc, { type: 'message.created', data: message('p2', -1) });
    expect(ids(qc)).toEqual(['p2', 'p1', 'b', 'a']);
  });

  it('pinning moves a chat up among the pinned ones (by time, as the server orders), unpinning back among the others', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.chats({}), list(chat('p1', 60, { pinned: true }), chat('a', 5), chat('b', 10), chat('c', 120)));
    applyEvent(qc, { type: 'chat.updated', data: chat('c', 120, { pinned: true }) });
    expect(ids(qc)).toEqual(['p1', 'c', 'a', 'b']);
    applyEvent(qc, { type: 'chat.updated', data: chat('p1', 60, { pinned: false }) });
    expect(ids(qc)).toEqual(['c', 'a', 'b', 'p1']);
  });

  it('an archived chat leaves the main list and joins the Archived list live, and back', () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.chats({}), list(chat('a', 5), chat('b', 10)));
    qc.setQueryData(keys.chats({ archived: true }), list(chat('z', 30, { archived: true })));
    applyEvent(qc, { type: 'chat.updated', data: chat('a', 5, { archived: true }) });
    expect(ids(qc)).toEqual(['b']);
    expect(ids(qc, { archived: true })).toEqual(['a', 'z']);
    applyEvent(qc, { type: 'chat.updated', data: chat('z', 30, { archived: false }) });
    expect(ids(qc)).toEqual(['b', 'z']);
    expect(ids(qc, { archived: true })).toEqual(['a']);
  });
});

describe('the list row', () => {
  it('shows a pin icon on pinned chats and a muted icon on muted ones', () => {
    renderWith(<ChatList chats={[chat('p', 1, { pinned: true }), chat('m', 2, { muted: true }), chat('x', 3)]} selectedId={null} onSelect={() => {}} status="success" hasMore={false} loadingMore={false} onLoadMore={() => {}} emptyText="none" />);
    const row = (id: string) => screen.getAllByTestId('chat-row').find((r) => r.getAttribute('data-chat-id') === id)!;
    expect(within(row('p')).getByRole('img', { name: 'Pinned' })).toBeTruthy();
    expect(within(row('p')).queryByTestId('chat-muted')).toBeNull();
    expect(within(row('m')).getByRole('img', { name: 'Muted' })).toBeTruthy();
    expect(within(row('m')).queryByTestId('chat-pinned')).toBeNull();
    expect(within(row('x')).queryByRole('img')).toBeNull();
  });
});

describe('the chat actions menu', () => {
  function seeded(c: Chat) {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
    client.setQueryData(keys.chats({}), list(chat('p1', 60, { pinned: true }), chat('a', 5), c));
    return client;
  }

  it('pins at once by keyboard (↓ opens, ↓ moves, Enter picks, Esc returns to the button), the server confirms', async () => {
    const calls = fakeFetch((c) => {
      if (c.method === 'PATCH') return { status: 200, body: { ...chat('9', 30), id: 9, pinned: true } };
      return undefined;
    });
    const target = chat('9', 30);
    const client = seeded(target);
    renderWith(<ChatActionsMenu chat={target} />, { client });
    const button = screen.getByTestId('chat-actions');
    expect(button.getAttribute('aria-haspopup')).toBe('menu');
    button.focus();
    fireEvent.keyDown(button, { key: 'ArrowDown' });
    const menu = await screen.findByRole('menu');
    const items = within(menu).getAllByRole('menuitem');
    expect(items.map((i) => i.textContent)).toEqual(['Pin chat', 'Mute notifications', 'Archive chat']);
    expect(document.activeElement).toBe(items[0]);
    fireEvent.keyDown(menu, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(items[1]);
    fireEvent.keyDown(menu, { key: 'ArrowUp' });
    fireEvent.keyDown(menu, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(items[2]);
    fireEvent.keyDown(menu, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(button);

    fireEvent.keyDown(button, { key: 'ArrowDown' });
    fireEvent.click(within(await screen.findByRole('menu')).getByRole('menuitem', { name: 'Pin chat' }));
    // Optimistic: first among the pinned chats before the server answers.
    expect(ids(client)).toEqual(['9', 'p1', 'a']);
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({ path: '/api/chats/9', body: { pinned: true } }));
    await waitFor(() => expect(client.getQueryData<Pages<Chat>>(keys.chats({}))!.pages[0]!.items[0]).toMatchObject({ id: '9', pinned: true }));
    expect(screen.queryByTestId('chat-action-error')).toBeNull();
  });

  it('puts the flag back and says why when WhatsApp did not confirm it', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    fakeFetch((c) => {
      if (c.method === 'PATCH') return { status: 409, body: { error: { kind: 'FailedPrecondition', code: 'WA_ACTION_NOT_CONFIRMED', message: 'the row\'s menu has no "Mute notifications"' } } };
      return undefined;
    });
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (...args: Parameters<typeof fetch>) => {
      await gate;
      return realFetch(...args);
    });
    const target = chat('9', 30);
    const client = seeded(target);
    renderWith(<ChatActionsMenu chat={target} />, { client });
    fireEvent.click(screen.getByTestId('chat-actions'));
    fireEvent.click(screen.getByRole('menuitem', { name: 'Mute notifications' }));
    const cached = () => client.getQueryData<Pages<Chat>>(keys.chats({}))!.pages[0]!.items.find((c) => c.id === '9')!;
    expect(cached().muted).toBe(true);
    await act(async () => release());
    await waitFor(() => expect(cached().muted).toBe(false));
    expect((await screen.findByTestId('chat-action-error')).textContent).toBe('Not changed. WhatsApp did not confirm this change, so nothing was changed. Try again in a moment.');
  });

  it('archives from the open conversation: the chat leaves the inbox list, and the Archived filter lists it', async () => {
    const rows = [{ ...chat('1', 5), id: 1 }, { ...chat('2', 10), id: 2 }];
    const calls = fakeFetch((c) => {
      const url = new URL(c.path, 'http://x');
      if (url.pathname === '/api/chats') {
        const archived = url.searchParams.get('archived') === 'true';
        return { status: 200, body: { items: rows.filter((r) => !!r.archived === archived), nextCursor: null } };
      }
      if (c.method === 'PATCH' && url.pathname === '/api/chats/2') {
        Object.assign(rows[1]!, c.body);
        return { status: 200, body: rows[1] };
      }
      if (url.pathname.startsWith('/api/chats/2')) return { status: 200, body: url.pathname.endsWith('messages') ? { items: [], nextCursor: null } : rows[1] };
      if (url.pathname === '/api/labels' || url.pathname === '/api/stages') return { status: 200, body: { items: [], nextCursor: null } };
      return undefined;
    });
    const { Routes, Route } = await import('react-router');
    renderWith(
      <Routes>
        <Route path="/inbox" element={<InboxScreen />} />
        <Route path="/inbox/:chatId" element={<InboxScreen />} />
      </Routes>,
      { route: '/inbox/2' },
    );
    await waitFor(() => expect(screen.getAllByTestId('chat-row')).toHaveLength(2));
    // The menu's arrows and Esc stay in the menu: the inbox does not move to another chat.
    const button = screen.getByTestId('chat-actions');
    fireEvent.keyDown(button, { key: 'ArrowDown' });
    const menu = await screen.findByRole('menu');
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    expect(screen.getAllByTestId('chat-row').find((r) => r.getAttribute('aria-selected') === 'true')?.getAttribute('data-chat-id')).toBe('2');
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(menu.isConnected).toBe(false);
    expect(document.activeElement).toBe(screen.getByTestId('chat-actions'));
    expect(screen.getByTestId('conversation')).toBeTruthy();
    fireEvent.click(screen.getByTestId('chat-actions'));
    fireEvent.click(screen.getByRole('menuitem', { name: 'Archive chat' }));
    await waitFor(() => expect(screen.getAllByTestId('chat-row').map((r) => r.getAttribute('data-chat-id'))).toEqual(['1']));
    expect(screen.getByTestId('conversation')).toBeTruthy();
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH' && (c.body as { archived?: boolean }).archived === true)).toBe(true));
    fireEvent.click(screen.getByTestId('filter-archived'));
    await waitFor(() => expect(screen.getAllByTestId('chat-row').map((r) => r.getAttribute('data-chat-id'))).toEqual(['2']));
    expect(calls.some((c) => c.path.includes('archived=true'))).toBe(true);
    fireEvent.click(screen.getByTestId('chat-actions'));
    expect(screen.getByRole('menuitem', { name: 'Unarchive chat' })).toBeTruthy();
  });
});
