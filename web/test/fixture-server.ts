// A tiny static server for the built app (dist/web) with /api routes answering synthetic data: the
// benchmark's fixture (and a way to look at the UI without the whole system). Not a test double of
// the gateway's behaviour: just enough shapes for the screens to render.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

export interface FixtureOptions {
  distDir: string;
  chats: number;
  /** WhatsApp state /api/me and /api/wa report. */
  waState?: string;
  qr?: string | null;
  /** false: /api/me answers 401 (the log-in screen). */
  signedIn?: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
};

const FIRST = ['Ana', 'Bruno', 'Carla', 'Diego', 'Elif', 'Farah', 'Gustav', 'Hana', 'Ivan', 'Julia', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya'];
const LAST = ['Silva', 'Okafor', 'Novak', 'Schmidt', 'Yilmaz', 'Haddad', 'Berg', 'Sato', 'Petrov', 'Rossi', 'Mensah', 'Fischer'];
const LINES = ['Is the order ready for pickup?', 'Thanks, received!', 'Can you send the invoice?', 'What are your opening hours on Saturday?', 'Perfect, see you tomorrow', 'Do you deliver to Porto?', 'Price list please 🙏'];

export function syntheticChats(n: number, now = Date.now()) {
  const labels = [
    { id: 1, name: 'VIP', color: '#d97706' },
    { id: 2, name: 'Wholesale', color: '#2563eb' },
    { id: 3, name: 'Follow up', color: '#dc2626' },
  ];
  return Array.from({ length: n }, (_, i) => ({
    id: String(i + 1),
    name: `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}${i >= FIRST.length * LAST.length ? ` ${Math.floor(i / 100)}` : ''}`,
    phone: `+351 9${String(10000000 + ((i * 7919) % 89999999)).slice(0, 8)}`,
    preview: LINES[i % LINES.length]!,
    lastMessageAt: new Date(now - i * 7 * 60_000).toISOString(),
    unreadCount: i % 5 === 0 ? (i % 7) + 1 : 0,
    labels: i % 4 === 0 ? [labels[i % 3]!] : [],
    stageId: i < 40 ? (i % 3) + 1 : null,
    contactId: String(i + 1),
  }));
}

export function startFixtureServer(opts: FixtureOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const chats = syntheticChats(opts.chats);
  const wa = { state: opts.waState ?? 'READY', qr: opts.qr ?? null, since: new Date().toISOString(), detail: null };
  const me = { user: { id: 1, email: 'bench@queunir.test', role: 'user' }, csrfToken: 'bench', slice: { id: 1, state: 'RUNNING', health: null }, wa, plan: { status: 'active' } };
  const stages = [
    { id: 1, name: 'Lead', position: 0, color: '#2563eb' },
    { id: 2, name: 'Qualified', position: 1, color: '#d97706' },
    { id: 3, name: 'Won', position: 2, color: '#16a34a' },
  ];
  const labels = [
    { id: 1, name: 'VIP', color: '#d97706' },
    { id: 2, name: 'Wholesale', color: '#2563eb' },
    { id: 3, name: 'Follow up', color: '#dc2626' },
  ];
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    if (p.startsWith('/api/')) {
      if (p === '/api/me') return opts.signedIn === false ? json(res, 401, { error: { kind: 'Unauthenticated', code: 'UNAUTHENTICATED', message: 'Log in first' } }) : json(res, 200, me);
      if (p === '/api/wa') return json(res, 200, wa);
      if (p === '/api/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(': connected\n\n');
        return;
      }
      if (p === '/api/labels') return json(res, 200, labels);
      if (p === '/api/stages') return json(res, 200, stages);
      if (p === '/api/chats') {
        let list = chats;
        const stage = url.searchParams.get('stage');
        if (stage) list = list.filter((c) => String(c.stageId) === stage);
        const label = url.searchParams.get('label');
        if (label) list = list.filter((c) => c.labels.some((l) => String(l.id) === label));
        if (url.searchParams.get('unread')) list = list.filter((c) => c.unreadCount > 0);
        const q = url.searchParams.get('q')?.toLowerCase();
        if (q) list = list.filter((c) => c.name.toLowerCase().includes(q));
        const from = Number(url.searchParams.get('cursor') ?? 0);
        const limit = Math.min(500, Number(url.searchParams.get('limit') ?? 50));
        const items = list.slice(from, from + limit);
        return json(res, 200, { items, nextCursor: from + limit < list.length ? String(from + limit) : null });
      }
      let m = /^\/api\/chats\/([^/]+)$/.exec(p);
      if (m) {
        const c = chats.find((x) => x.id === m![1]);
        return c ? json(res, 200, c) : json(res, 404, { error: { kind: 'NotFound', code: 'NOT_FOUND', message: 'No such chat' } });
      }
      m = /^\/api\/chats\/([^/]+)\/messages$/.exec(p);
      if (m) {
        const chatId = m[1]!;
        const before = Number(url.searchParams.get('before') ?? 0);
        const total = 120;
        const items = Array.from({ length: Math.max(0, Math.min(40, total - before)) }, (_, k) => {
          const i = before + k;
          return {
            id: `${chatId}-${i}`,
            chatId,
            direction: i % 3 === 0 ? 'out' : 'in',
            author: null,
            body: i % 11 === 5 ? '' : `${LINES[i % LINES.length]}${i % 4 === 0 ? '\nSecond line of the message.' : ''}`,
            sentAt: new Date(Date.now() - i * 47 * 60_000).toISOString(),
            ack: i % 3 === 0 ? (i === 0 ? 1 : i % 2 ? 3 : 2) : 1,
            mediaKind: i % 11 === 5 ? 'image' : null,
            quotedId: null,
          };
        });
        return json(res, 200, { items, nextCursor: before + 40 < total ? String(before + 40) : null });
      }
      m = /^\/api\/contacts\/([^/]+)$/.exec(p);
      if (m) {
        const c = chats.find((x) => x.id === m![1]);
        return json(res, 200, { id: m[1], name: c?.name ?? null, phone: c?.phone ?? null, email: 'client@example.com', company: 'Atelier Lda', customFields: { City: 'Lisbon' } });
      }
      if (/^\/api\/chats\/[^/]+\/notes$/.test(p)) return json(res, 200, [{ id: 'n1', chatId: '1', body: 'Prefers delivery on Fridays.', createdAt: new Date().toISOString() }]);
      if (req.method !== 'GET') return json(res, 200, {});
      return json(res, 404, { error: { kind: 'NotFound', code: 'NOT_FOUND', message: `No route ${p}` } });
    }
    let file = path.join(opts.distDir, path.normalize(p).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(opts.distDir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(opts.distDir, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
