// WhatsApp's own formatting as a tree: ```monospace``` blocks, `code`, *bold*, _italic_, ~strike~,
// and links. The tree is rendered to React elements (components/rich-text.tsx), never to HTML
// strings. A link is made only for http(s), mailto: and tel: addresses (safeHref).

export type Span =
  | { t: 'text'; text: string }
  | { t: 'link'; href: string; text: string }
  | { t: 'code'; text: string }
  | { t: 'pre'; text: string }
  | { t: 'bold' | 'italic' | 'strike'; children: Span[] };

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:', 'tel:']);

/** The href to use for what looks like a link, or null when it must stay text. */
export function safeHref(raw: string): string | null {
  let candidate = raw.trim();
  if (/^www\./i.test(candidate)) candidate = `https://${candidate}`;
  else if (/^[^\s@/:]+@[^\s@/:]+\.[^\s@/:]+$/.test(candidate)) candidate = `mailto:${candidate}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.hostname) return null;
  return url.href;
}

// http(s) and www. addresses, mailto:/tel: ones, bare emails. Nothing else becomes a link.
const LINK = /(?:https?:\/\/|www\.)[^\s<>"]+|mailto:[^\s<>"]+|tel:\+?[\d\-().]{5,}\d|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gi;

/** Trailing punctuation is the sentence's, not the address's (a ")" only when unbalanced). */
function trimLink(s: string): string {
  let out = s;
  for (;;) {
    const last = out[out.length - 1];
    if (!last) return out;
    if ('.,;:!?*_~\'"'.includes(last)) out = out.slice(0, -1);
    else if (last === ')' && (out.match(/\(/g)?.length ?? 0) < (out.match(/\)/g)?.length ?? 0)) out = out.slice(0, -1);
    else return out;
  }
}

/** Where the links are in a piece of text: [start, end, href]. */
function findLinks(text: string): Array<[number, number, string]> {
  const found: Array<[number, number, string]> = [];
  for (const m of text.matchAll(LINK)) {
    const raw = trimLink(m[0]);
    const href = safeHref(raw);
    if (href) found.push([m.index!, m.index! + raw.length, href]);
  }
  return found;
}

const MARKS: Record<string, 'bold' | 'italic' | 'strike'> = { '*': 'bold', _: 'italic', '~': 'strike' };
const WORD = /[\p{L}\p{N}]/u;

function inside(links: Array<[number, number, string]>, i: number): boolean {
  return links.some(([s, e]) => i >= s && i < e);
}

/** Emphasis and links between [from, to) of one code-free piece; markers inside links do not count. */
function inline(text: string, from: number, to: number, links: Array<[number, number, string]>): Span[] {
  const out: Span[] = [];
  let plainFrom = from;
  const flushTo = (end: number) => {
    let i = plainFrom;
    for (const [s, e, href] of links) {
      if (s < plainFrom || e > end) continue;
      if (s > i) out.push({ t: 'text', text: text.slice(i, s) });
      out.push({ t: 'link', href, text: text.slice(s, e) });
      i = e;
    }
    if (end > i) out.push({ t: 'text', text: text.slice(i, end) });
  };
  for (let i = from; i < to; i++) {
    const kind = MARKS[text[i]!];
    if (!kind || inside(links, i)) continue;
    const before = i > from ? text[i - 1]! : '';
    const after = text[i + 1] ?? '';
    if ((before && WORD.test(before)) || !after || /\s/.test(after) || after === text[i]) continue;
    let close = -1;
    for (let j = i + 2; j < to; j++) {
      if (text[j] === '\n') break;
      if (text[j] !== text[i] || inside(links, j) || /\s/.test(text[j - 1]!)) continue;
      const next = text[j + 1] ?? '';
      if (next && WORD.test(next)) continue;
      close = j;
      break;
    }
    if (close < 0) continue;
    flushTo(i);
    out.push({ t: kind, children: inline(text, i + 1, close, links) });
    plainFrom = close + 1;
    i = close;
  }
  flushTo(to);
  return out;
}

/** Pieces matching `re` become `make(match)`; the text between them goes through `rest`. */
function splitBy(text: string, re: RegExp, make: (inner: string) => Span, rest: (text: string) => Span[]): Span[] {
  const out: Span[] = [];
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > at) out.push(...rest(text.slice(at, m.index)));
    out.push(make(m[1]!));
    at = m.index! + m[0].length;
  }
  if (at < text.length) out.push(...rest(text.slice(at)));
  return out;
}

function plain(text: string): Span[] {
  return inline(text, 0, text.length, findLinks(text));
}

/** ```blocks``` and inline `code` are taken literally; the rest gets emphasis and links. */
export function parseWhatsApp(text: string): Span[] {
  const withCode = (t: string) => splitBy(t, /`([^`\n]+)`/g, (inner) => ({ t: 'code', text: inner }), plain);
  return splitBy(text, /```([\s\S]+?)```/g, (inner) => ({ t: 'pre', text: inner }), withCode);
}

/** The text without its markers (previews, search): what a person reads. */
export function plainText(spans: Span[]): string {
  return spans.map((s) => ('children' in s ? plainText(s.children) : s.text)).join('');
}
