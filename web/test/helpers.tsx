// Test helpers: a fake fetch answering by method and path, and a render with the app's providers.
import type { ReactElement, ReactNode } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import { afterAll, beforeAll, vi } from 'vitest';

export interface FakeCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export type Handler = (call: FakeCall) => { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

/** Replaces global fetch; unknown routes answer 404 in the API's error shape. */
export function fakeFetch(handler: Handler) {
  const calls: FakeCall[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const call: FakeCall = {
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    const res = handler(call) ?? { status: 404, body: { error: { kind: 'NotFound', code: 'NOT_FOUND', message: `no route ${call.path}` } } };
    return new Response(res.body === undefined ? null : JSON.stringify(res.body), { status: res.status, headers: { 'content-type': 'application/json', ...res.headers } });
  });
  vi.stubGlobal('fetch', fn);
  return calls;
}

function testClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } } });
}

export function renderWith(ui: ReactElement, { client = testClient(), route = '/' }: { client?: QueryClient; route?: string } = {}) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[route]}>{children}</MemoryRouter>
    </QueryClientProvider>
  );
  return { client, ...render(ui, { wrapper }) };
}

/**
 * A fake slice for the pipeline board: stages (a list, or a function for live totals), chats by
 * stage, and PUT /api/chats/:id/stage moving a chat in `chats`.
 */
export function fakeBoard(chats: { id: number; stageId: number | null }[], stages: unknown[] | (() => unknown[])) {
  return fakeFetch((c) => {
    const url = new URL(c.path, 'http://x');
    if (url.pathname === '/api/stages') return { status: 200, body: { items: typeof stages === 'function' ? stages() : stages, nextCursor: null } };
    if (url.pathname === '/api/chats') {
      const stage = url.searchParams.get('stage');
      return { status: 200, body: { items: chats.filter((x) => (stage ? String(x.stageId) === stage : true)), nextCursor: null } };
    }
    const m = /^\/api\/chats\/(\d+)\/stage$/.exec(url.pathname);
    if (m && c.method === 'PUT') {
      const chat = chats.find((x) => x.id === Number(m[1]))!;
      chat.stageId = (c.body as { stageId: number | null }).stageId;
      return { status: 200, body: chat };
    }
    return undefined;
  });
}

/**
 * jsdom has no layout: give scroll containers a size so the virtualiser has a window to fill, for
 * the tests of this file (restored afterwards: test files share one jsdom per worker).
 */
export function fakeLayout(): void {
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
}
