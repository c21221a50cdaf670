// The conversation is virtualised (issue 15): a 2,000-message chat puts only a window of rows in the
// page, follows new messages at the bottom, and keeps its place when older pages come in at the top.
// jsdom has no layout: the list is given a height, rows a height, and scrolling behaves as in a
// browser (scrollTo moves scrollTop, a scroll event follows).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { Conversation } from '../src/components/conversation.tsx';
import { applyEvent } from '../src/events/apply.ts';
import { fakeFetch, renderWith } from './helpers.tsx';
import { rawMessage } from './media-fixtures.ts';

const ROW = 60;
const VIEW = 600;
const proto = HTMLElement.prototype;
const saved = (['clientHeight', 'offsetHeight', 'scrollTop', 'scrollTo'] as const).map((k) => [k, Object.getOwnPropertyDescriptor(proto, k)] as const);
const elementScrollTop = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollTop')!;

beforeAll(() => {
  Object.defineProperty(proto, 'clientHeight', { configurable: true, get(this: HTMLElement) { return this.dataset.testid === 'message-list' ? VIEW : 0; } });
  Object.defineProperty(proto, 'offsetHeight', { configurable: true, get(this: HTMLElement) { return this.hasAttribute('data-index') ? ROW : 0; } });
  Object.defineProperty(proto, 'scrollTop', {
    configurable: true,
    get(this: HTMLElement) {
      return elementScrollTop.get!.call(this) as number;
    },
    set(this: HTMLElement, v: number) {
      elementScrollTop.set!.call(this, Math.max(0, v));
      queueMicrotask(() => this.dispatchEvent(new Event('scroll')));
    },
  });
  Object.defineProperty(proto, 'scrollTo', {
    configurable: true,
    value(this: HTMLElement, opts: ScrollToOptions) {
      if (typeof opts?.top === 'number') this.scrollTop = opts.top;
    },
  });
});
afterAll(() => {
  for (const [k, d] of saved) {
    if (d) Object.defineProperty(proto, k, d);
    else delete (proto as unknown as Record<string, unknown>)[k];
  }
});
afterEach(() => vi.unstubAllGlobals());

const DAY = Date.UTC(2026, 10, 2, 0, 0);
const message = (n: number) => rawMessage({ id: n, body: `message ${n}`, sentAt: new Date(DAY + n * 20_000).toISOString() });
/** Newest first, as the API pages them. */
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => message(to - i));
const chat = { id: '5', name: 'Ana', phone: null, preview: null, lastMessageAt: null, unreadCount: 0, labels: [], stageId: null };
const shown = () => screen.queryAllByTestId('message').map((m) => Number(m.getAttribute('data-message-id')));
const list = () => screen.getByTestId('message-list');

describe('the virtualised conversation', () => {
  it('renders only a window of a 2,000-message chat, at the bottom, and follows a new message there', async () => {
    fakeFetch((c) => (c.path.startsWith('/api/chats/5/messages') ? { status: 200, body: { items: range(1, 2000), nextCursor: null } } : undefined));
    const { client } = renderWith(<Conversation chat={chat} onBack={() => undefined} onToggleContact={() => undefined} contactOpen={false} />);
    await waitFor(() => expect(shown()).toContain(2000));
    const ids = shown();
    expect(ids.length).toBeGreaterThan(5);
    expect(ids.length).toBeLessThan(40);
    expect(Math.min(...ids)).toBeGreaterThan(1950);
    expect(document.querySelectorAll('[data-message-id]').length).toBe(ids.length);

    act(() => applyEvent(client, { type: 'message.created', data: { ...message(2001), body: 'a new one' } }));
    await waitFor(() => expect(shown()).toContain(2001));
    expect(shown().length).toBeLessThan(40);
    const el = list();
    const inner = el.firstElementChild as HTMLElement;
    expect(parseFloat(inner.style.height) - el.scrollTop - VIEW).toBeLessThan(80);
  });

  it('does not follow new messages when scrolled up to read', async () => {
    fakeFetch((c) => (c.path.startsWith('/api/chats/5/messages') ? { status: 200, body: { items: range(1, 2000), nextCursor: null } } : undefined));
    const { client } = renderWith(<Conversation chat={chat} onBack={() => undefined} onToggleContact={() => undefined} contactOpen={false} />);
    await waitFor(() => expect(shown()).toContain(2000));
    act(() => {
      list().scrollTop = 30_000;
    });
    await waitFor(() => expect(shown()).not.toContain(2000));
    const reading = shown();
    act(() => applyEvent(client, { type: 'message.created', data: message(2001) }));
    await new Promise((r) => setTimeout(r, 50));
    expect(list().scrollTop).toBe(30_000);
    expect(shown()).toEqual(reading);
  });

  it('keeps the place when an older page loads at the top', async () => {
    fakeFetch((c) => {
      const url = new URL(c.path, 'http://x');
      if (url.pathname !== '/api/chats/5/messages') return undefined;
      return url.searchParams.get('before') ? { status: 200, body: { items: range(1, 100), nextCursor: null } } : { status: 200, body: { items: range(101, 200), nextCursor: 'older' } };
    });
    // The older page waits until the view's place before it is noted.
    const asked: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const answer = globalThis.fetch;
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      asked.push(String(input));
      if (String(input).includes('before=')) await gate;
      return answer(input, init);
    });
    renderWith(<Conversation chat={chat} onBack={() => undefined} onToggleContact={() => undefined} contactOpen={false} />);
    await waitFor(() => expect(shown()).toContain(200));
    const rowOf = (id: number) => document.querySelector(`[data-message-id="${id}"]`)?.closest<HTMLElement>('[data-index]') ?? null;
    const top = (id: number) => Number(/translateY\(([\d.]+)px\)/.exec(rowOf(id)!.style.transform)![1]) - list().scrollTop;
    // Scrolled up to the top: message 101 (the oldest loaded) is in view, and the older page is asked for.
    act(() => {
      list().scrollTop = 50;
    });
    await waitFor(() => expect(asked.some((p) => p.includes('before=older'))).toBe(true));
    await waitFor(() => expect(rowOf(101)).not.toBeNull());
    await new Promise((r) => setTimeout(r, 50));
    const before = top(101);
    release();
    // The older page is in (102 rows before message 101 now), and message 101 is where it was on the screen.
    await waitFor(() => expect(rowOf(101)?.getAttribute('data-index')).toBe('102'));
    await waitFor(() => expect(Math.abs(top(101) - before)).toBeLessThanOrEqual(1));
    expect(list().scrollTop).toBeGreaterThan(100 * 50);
    expect(shown()).not.toContain(1);
    expect(shown().length).toBeLessThan(40);
  });
});
