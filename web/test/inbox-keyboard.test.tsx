import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { InboxScreen } from '../src/screens/inbox.tsx';
import { ChatList } from '../src/components/chat-list.tsx';
import { syntheticChats } from './fixture-server.ts';
import { toChat } from '../src/api/normalise.ts';
import { fakeFetch, renderWith } from './helpers.tsx';

// jsdom has no layout: give scroll containers a size so the virtualiser has a window to fill
// (restored afterwards: test files share one jsdom per worker).
const proto = HTMLElement.prototype;
const saved = (['offsetHeight', 'offsetWidth', 'clientHeight', 'clientWidth', 'getBoundingClientRect'] as const).map((k) => [k, Object.getOwnPropertyDescriptor(proto, k) ?? Object.getOwnPropertyDescriptor(Element.prototype, k)] as const);
afterAll(() => {
  for (const [k, d] of saved) {
    if (d) Object.defineProperty(proto, k, d);
    else delete (proto as unknown as Record<string, unknown>)[k];
  }
});
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'offsetHeight', { configurable: true, get: () => 720 });
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 720 });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 380 });
  Object.defineProperty(HTMLElement.prototype, 'offsetWidth', { configurable: true, get: () => 380 });
  HTMLElement.prototype.getBoundingClientRect = () => ({ x: 0, y: 0, top: 0, left: 0, right: 380, bottom: 720, width: 380, height: 720, toJSON: () => ({}) }) as DOMRect;
  window.matchMedia ??= ((q: string) => ({ matches: false, media: q, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
  HTMLElement.prototype.scrollTo ??= function () {};
});
afterEach(() => vi.unstubAllGlobals());

const all = syntheticChats(300).map((c) => ({ ...c, id: Number(c.id), contactId: Number(c.contactId) }));

function serve() {
  return fakeFetch((c) => {
    const url = new URL(c.path, 'http://x');
    if (url.pathname === '/api/chats') {
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const limit = Number(url.searchParams.get('limit'));
      const q = url.searchParams.get('q');
      const list = q ? all.filter((x) => x.name.toLowerCase().includes(q.toLowerCase())) : all;
      return { status: 200, body: { items: list.slice(from, from + limit), nextCursor: from + limit < list.length ? String(from + limit) : null } };
    }
    if (url.pathname === '/api/labels' || url.pathname === '/api/stages') return { status: 200, body: { items: [], nextCursor: null } };
    if (/\/messages$/.test(url.pathname)) return { status: 200, body: { items: [], nextCursor: null } };
    if (/^\/api\/contacts\//.test(url.pathname)) return { status: 200, body: { id: 1, waId: 'x', name: 'X', phone: null, email: null, company: null, customFields: {}, stageId: null, chatId: 1 } };
    if (/\/notes$/.test(url.pathname)) return { status: 200, body: { items: [], nextCursor: null } };
    if (c.method === 'POST') return { status: 200, body: all[0] };
    return undefined;
  });
}

function Harness() {
  return (
    <Routes>
      <Route path="/inbox" element={<InboxScreen />} />
      <Route path="/inbox/:chatId" element={<InboxScreen />} />
    </Routes>
  );
}

describe('inbox', () => {
  it('virtualises: 10,000 chats put only a screenful of rows in the DOM', () => {
    const chats = syntheticChats(10_000).map(toChat);
    renderWith(<ChatList chats={chats} selectedId={null} onSelect={() => undefined} status="success" hasMore={false} loadingMore={false} onLoadMore={() => undefined} emptyText="none" />);
    const rows = screen.getAllByTestId('chat-row');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]!.getAttribute('data-chat-id')).toBe('1');
  });

  it('down/up move through chats, / focuses search, Esc closes the contact panel', async () => {
    serve();
    renderWith(<Harness />, { route: '/inbox' });
    await screen.findAllByTestId('chat-row');
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[0]!.name));
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[1]!.name));
    fireEvent.keyDown(window, { key: 'ArrowUp' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[0]!.name));

    fireEvent.keyDown(window, { key: '/' });
    expect(document.activeElement).toBe(screen.getByTestId('chat-search'));

    act(() => screen.getByTestId('toggle-contact').click());
    await screen.findByTestId('contact-panel');
    fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('contact-panel')).toBeNull());
  });

  it('the chat list shows unread badges and an empty state for filters that match nothing', async () => {
    serve();
    renderWith(<Harness />, { route: '/inbox' });
    await screen.findAllByTestId('chat-row');
    expect(screen.getAllByTestId('unread-badge').length).toBeGreaterThan(0);
    fireEvent.change(screen.getByTestId('chat-search'), { target: { value: 'nobody is called this' } });
    expect((await screen.findByTestId('chat-list-empty')).textContent).toContain('No chats match');
    fireEvent.change(screen.getByTestId('chat-search'), { target: { value: '' } });
    await screen.findAllByTestId('chat-row');
  });

  it('the open conversation stays mounted while a search filters its chat out of the list', async () => {
    serve();
    renderWith(<Harness />, { route: '/inbox' });
    await screen.findAllByTestId('chat-row');
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[0]!.name));
    const before = screen.getByTestId('conversation');
    fireEvent.change(screen.getByTestId('chat-search'), { target: { value: 'nobody is called this' } });
    await screen.findByTestId('chat-list-empty');
    expect(screen.getByTestId('conversation')).toBe(before);
    expect(screen.getByTestId('conversation-title').textContent).toBe(all[0]!.name);
  });
  it('opening a chat puts the cursor in the composer; moving with the arrow keys leaves it on the list', async () => {
    serve();
    renderWith(<Harness />, { route: '/inbox' });
    const rows = await screen.findAllByTestId('chat-row');
    act(() => rows[2]!.click());
    await screen.findByTestId('conversation');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('composer')));
    act(() => (document.activeElement as HTMLElement).blur());
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[3]!.name));
    expect(document.activeElement).not.toBe(screen.getByTestId('composer'));
  });

  it('Escape closes the conversation on a phone, even while typing in the composer', async () => {
    const saved = window.matchMedia;
    window.matchMedia = ((q: string) => ({ matches: q.includes('max-width'), media: q, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
    try {
      serve();
      renderWith(<Harness />, { route: '/inbox' });
      const rows = await screen.findAllByTestId('chat-row');
      act(() => rows[0]!.click());
      const composer = await screen.findByTestId('composer');
      await waitFor(() => expect(document.activeElement).toBe(composer));
      fireEvent.keyDown(composer, { key: 'Escape' });
      await waitFor(() => expect(screen.queryByTestId('conversation')).toBeNull());
    } finally {
      window.matchMedia = saved;
    }
  });
});
