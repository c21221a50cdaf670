// Simulator scenarios: who the phone's owner is, the contacts and chats with their history, the
// incoming messages that arrive over time, and how fast the other side acknowledges.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRootFrom } from '../../lib/repo-root.ts';

export interface SimMessage {
  id: string;
  fromMe: boolean;
  /** Shown name of the author (group members; the contact's name in 1:1 chats). */
  author: string;
  /** Author jid for group messages (the packed data-id's last part). */
  authorJid?: string;
  body: string;
  /** ISO instant, whole minutes (the page shows minutes only). */
  at: string;
  ack: number;
  /** A file (its bytes kept by the phone under sha256, see media-files.ts), a location or a
   * contact card. The old string form is a placeholder without a file. */
  media?: SimMedia | 'image' | 'voice' | 'document' | null;
  quotedId?: string | null;
  recalled?: boolean;
  /** Reactions under the message: the other side's (fromMe false) and this account's. */
  reactions?: { emoji: string; fromMe: boolean }[];
  /** The sender changed the text after sending it. */
  edited?: boolean;
  /** A system notice of the chat (joined, left, subject changed, security code changed). */
  system?: boolean;
  /** The card the page shows for the body's first link (kept apart from the body). */
  linkPreview?: { title: string | null; description: string | null; host: string | null; url: string | null } | null;
}

export interface SimMedia {
  kind: 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker' | 'location' | 'contact';
  mimeType: string;
  fileName: string | null;
  size: number;
  /** null: nothing to download (a location, a contact card). */
  sha256: string | null;
  width?: number;
  height?: number;
  durationMs?: number;
  /** false: the page shows a blurred thumbnail until the phone has the file. */
  downloaded: boolean;
  details?: Record<string, unknown>;
}

interface SimChat {
  jid: string;
  name: string;
  isGroup: boolean;
  messages: SimMessage[];
  /** The row's state as the phone keeps it (pin, mute, archive). */
  pinned?: boolean;
  muted?: boolean;
  archived?: boolean;
  /** When a chat started from "New chat" without messages was created (its place in the list). */
  createdAt?: string;
}

interface SimContact {
  jid: string;
  name: string;
  phone: string;
}

export interface SimScenario {
  me: { jid: string; name: string };
  contacts: SimContact[];
  chats: SimChat[];
  /** Messages that arrive after READY, atMs after it. */
  incoming: Array<{ atMs: number; chatJid: string; body: string; author?: string }>;
  acks: { deliveredAfterMs: number; readAfterMs: number };
  /** Message rows carry the bare message id (WhatsApp Web from 2026-04) instead of the packed
   * `true|false_<chatJid>_<id>`: then only the conversation header names the open chat. */
  bareMessageIds?: boolean;
  /** Numbers (E.164) "New chat" finds no WhatsApp account for. */
  unregisteredNumbers?: string[];
}

export const DEFAULT_SCENARIO_PATH = path.join(repoRootFrom(import.meta.url), 'slice', 'sim', 'scenarios', 'default.json');

export function loadScenario(file: string = DEFAULT_SCENARIO_PATH): SimScenario {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`SIM_SCENARIO ${file}: cannot read JSON (${(err as Error).message})`);
  }
  const s = raw as Partial<SimScenario>;
  if (!s || typeof s !== 'object' || !s.me?.jid || !Array.isArray(s.chats)) {
    throw new Error(`SIM_SCENARIO ${file}: needs "me" {jid,name} and "chats" []`);
  }
  for (const [i, c] of s.chats.entries()) {
    if (typeof c.jid !== 'string' || typeof c.name !== 'string' || !Array.isArray(c.messages)) {
      throw new Error(`SIM_SCENARIO ${file}: chats[${i}] needs jid, name, messages`);
    }
    for (const [j, m] of c.messages.entries()) {
      if (typeof m.id !== 'string' || !/^[A-Za-z0-9]+$/.test(m.id) || typeof m.body !== 'string' || Number.isNaN(Date.parse(m.at))) {
        throw new Error(`SIM_SCENARIO ${file}: chats[${i}].messages[${j}] needs an alphanumeric id, body and ISO at`);
      }
    }
  }
  return {
    me: s.me,
    contacts: s.contacts ?? [],
    chats: s.chats,
    incoming: s.incoming ?? [],
    acks: s.acks ?? { deliveredAfterMs: 400, readAfterMs: 1200 },
    bareMessageIds: s.bareMessageIds === true,
    unregisteredNumbers: Array.isArray(s.unregisteredNumbers) ? s.unregisteredNumbers.filter((n) => typeof n === 'string') : [],
  };
}

// ---- generator -------------------------------------------------------------------------------

/** Small deterministic PRNG so generated scenarios are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'Ana Souza', 'João Pereira', 'María García', 'Carlos López', 'Priya Sharma', 'Rahul Verma', 'Fatima Al-Sayed',
  'Omar Haddad', 'Emily Clark', 'James Wilson', 'Lucía Fernández', 'Pedro Santos', 'Ananya Iyer', 'Mohammed Khan',
  'Sofia Rossi', 'Chen Wei', 'Aisha Bello', 'Diego Ramírez', 'Beatriz Lima', 'Arjun Nair', 'Layla Hassan',
  'Tom Becker', 'Yuki Tanaka', 'Grace Okafor', 'Nadia Petrova', 'Lucas Oliveira', 'Valentina Cruz', 'Ravi Menon',
];

const LINES: Record<string, string[]> = {
  en: ['Hi! Is the order ready? 📦', 'Thanks a lot 🙏', 'Can you send the invoice?', 'See you tomorrow at 10', 'Perfect, confirmed ✅', 'What is the price for 3 units?', 'Running 5 minutes late 🚗', 'Great news 🎉'],
  pt: ['Olá! Tudo bem? 😊', 'Pode me mandar o orçamento?', 'Obrigado pela entrega!', 'Vou passar aí amanhã', 'Qual o horário de funcionamento?', 'Fechado, pode enviar 👍'],
  es: ['¡Hola! ¿Tienen stock? 🛒', 'Muchas gracias 😀', '¿Cuánto cuesta el envío?', 'Nos vemos el lunes', 'Perfecto, lo confirmo', '¿Aceptan tarjeta?'],
  hi: ['नमस्ते! ऑर्डर कब तक आएगा?', 'धन्यवाद 🙏', 'कीमत क्या है?', 'कल मिलते हैं', 'ठीक है, भेज दीजिए'],
  ar: ['مرحبا! هل الطلب جاهز؟', 'شكرا جزيلا 🌹', 'كم السعر؟', 'أراك غدا إن شاء الله', 'تمام، تم التأكيد'],
};
const LANGS = Object.keys(LINES);

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** A scenario with `chats` chats and `messages` messages in total (spread unevenly so that some
 * chats need several backfill pages), several languages and emoji, a few groups, quotes, media,
 * a deleted message, and a few incoming messages after READY. */
export function generateScenario(opts: { chats: number; messages: number; seed?: number; incoming?: number; endAt?: string }): SimScenario {
  const rand = rng(opts.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const end = Date.parse(opts.endAt ?? '2026-11-20T18:00:00Z');
  const me = { jid: '5511900000000@c.us', name: 'Queunir Demo' };
  const contacts: SimContact[] = [];
  const chats: SimChat[] = [];
  let idn = 0;
  const newId = (): string => `3EB0${pad(++idn, 8)}${Math.floor(rand() * 0xffffff).toString(16).toUpperCase().padStart(6, '0')}`;
  // Weights: the first chats are busier (a person's real list looks like this).
  const weights = Array.from({ length: opts.chats }, (_, i) => 1 / (1 + i * 0.15));
  const wsum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((w / wsum) * opts.messages)));
  let diff = opts.messages - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; diff !== 0; i = (i + 1) % counts.length) {
    if (diff > 0) { counts[i]!++; diff--; } else if (counts[i]! > 1) { counts[i]!--; diff++; }
  }
  for (let c = 0; c < opts.chats; c++) {
    const isGroup = c % 7 === 3;
    const lang = LANGS[c % LANGS.length]!;
    const phoneDigits = `55119${pad(10000000 + c * 7919, 8)}`.slice(0, 13);
    const name = isGroup ? `${pick(['Equipo', 'Team', 'Família', 'दोस्त', 'Clientes'])} ${c}` : (NAMES[c % NAMES.length]! + (c >= NAMES.length ? ` ${Math.floor(c / NAMES.length)}` : ''));
    const jid = isGroup ? `1203634${pad(c, 11)}@g.us` : `${phoneDigits}@c.us`;
    // Every tenth contact is unsaved: the list shows the phone number as the title.
    const title = !isGroup && c % 10 === 9 ? `+${phoneDigits.slice(0, 2)} ${phoneDigits.slice(2, 4)} ${phoneDigits.slice(4, 9)}-${phoneDigits.slice(9)}` : name;
    if (!isGroup) contacts.push({ jid, name: title, phone: `+${phoneDigits}` });
    const members = isGroup ? [0, 1, 2].map((k) => ({ name: NAMES[(c + k * 5) % NAMES.length]!, jid: `5521${pad(c * 10 + k, 9)}@c.us` })) : [];
    const n = counts[c]!;
    const chatEnd = end - c * 3_600_000 * (1 + rand() * 5);
    const messages: SimMessage[] = [];
    // Gaps of 5 minutes to 4 hours, walking back from the chat's last activity.
    const times: number[] = [];
    let tt = chatEnd;
    for (let k = 0; k < n; k++) {
      times.unshift(tt);
      tt -= 60_000 * Math.floor(5 + rand() * 240);
    }
    for (let k = 0; k < n; k++) {
      const at = new Date(times[k]!);
      at.setUTCSeconds(0, 0);
      const fromMe = rand() < 0.4;
      const member = isGroup ? pick(members) : null;
      const m: SimMessage = {
        id: newId(),
        fromMe,
        author: fromMe ? me.name : member ? member.name : title,
        body: pick(LINES[lang]!),
        at: at.toISOString(),
        ack: fromMe ? 3 : 0,
        media: null,
        quotedId: null,
        recalled: false,
      };
      if (member && !fromMe) m.authorJid = member.jid;
      if (k > 0 && rand() < 0.06) m.quotedId = messages[k - 1]!.id;
      else if (rand() < 0.04) m.media = pick(['image', 'voice', 'document'] as const);
      if (rand() < 0.01 && !fromMe) {
        m.recalled = true;
        m.body = 'This message was deleted';
      }
      messages.push(m);
    }
    chats.push({ jid, name: title, isGroup, messages });
  }
  const incoming: SimScenario['incoming'] = [];
  for (let i = 0; i < (opts.incoming ?? 0); i++) {
    const chat = chats[i % chats.length]!;
    if (chat.isGroup) continue;
    incoming.push({ atMs: 3000 + i * 4000, chatJid: chat.jid, body: pick(LINES[pick(LANGS)]!) });
  }
  return { me, contacts, chats, incoming, acks: { deliveredAfterMs: 400, readAfterMs: 1200 } };
}

// `tsx slice/sim/scenario.ts <chats> <messages> <out.json>` writes a scenario (the default one is
// `30 500 slice/sim/scenarios/default.json`).
// (By file name too: in a bundle every module's import.meta.url is the bundle's.)
if (process.argv[1] && path.basename(process.argv[1]) === 'scenario.ts' && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [chats, messages, out] = process.argv.slice(2);
  const s = generateScenario({ chats: Number(chats ?? 30), messages: Number(messages ?? 500), incoming: Number(chats ?? 30) > 100 ? 0 : 3 });
  const json = JSON.stringify(s, null, 1);
  if (out) fs.writeFileSync(out, json + '\n');
  else process.stdout.write(json + '\n');
}
