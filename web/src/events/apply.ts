// The events → cache reducer: every server event becomes an update of the react-query cache, so
// every screen showing that data re-renders without a refetch.
import type { QueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import type { ChatFilters } from '../api/chats.ts';
import type { Chat, Contact, Me, Message, WaStatus } from '../api/types.ts';
import { toChat, toContact, toMessage } from '../api/normalise.ts';
import { mediaLabel, previewOf } from '../lib/media-format.ts';
import { addMessage, chatMatches, findChat, updateMessage, upsertChat, type Pages } from './cache.ts';

export interface ServerEvent {
  type: string;
  data: unknown;
}

export const EVENT_TYPES = ['reset', 'slice.state', 'wa.state', 'wa.qr', 'message.created', 'message.updated', 'chat.updated', 'contact.updated', 'team.updated'] as const;

/** The signed-in member's id, for the Mine list. */
function memberIdOf(qc: QueryClient): string | null {
  const id = qc.getQueryData<Me>(keys.me)?.member?.id;
  return id === undefined || id === null ? null : String(id);
}

/** A chat this member may no longer see (the slice says `{id, hidden: true}`): out of every list. */
function dropChat(qc: QueryClient, chatId: string): void {
  for (const [key] of chatLists(qc)) {
    qc.setQueryData<Pages<Chat>>(key, (data) => (data && findChat(data, chatId) ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.filter((c) => c.id !== chatId) })) } : data));
  }
  qc.removeQueries({ queryKey: keys.chat(chatId), exact: true });
  qc.removeQueries({ queryKey: keys.messages(chatId), exact: true });
}

function chatLists(qc: QueryClient): Array<[readonly unknown[], Required<ChatFilters>]> {
  return qc
    .getQueryCache()
    .findAll({ queryKey: keys.chatsAll })
    .map((q) => [q.queryKey, q.queryKey[1] as Required<ChatFilters>]);
}

function setWa(qc: QueryClient, patch: Partial<WaStatus>): void {
  qc.setQueryData<WaStatus>(keys.wa, (old) => ({ state: 'STARTING', qr: null, ...old, ...patch }) as WaStatus);
  qc.setQueryData<Me>(keys.me, (me) => (me ? { ...me, wa: { state: 'STARTING', qr: null, ...me.wa, ...patch } as WaStatus } : me));
}

/** Which chat the user has open, so its incoming messages do not count as unread. */
export interface ApplyContext {
  openChatId?: string | null;
}

export function applyEvent(qc: QueryClient, ev: ServerEvent, ctx: ApplyContext = {}): void {
  switch (ev.type) {
    case 'reset':
      // The server could not replay what this tab missed: everything cached may be stale.
      void qc.invalidateQueries();
      return;
    case 'wa.state': {
      const d = ev.data as Pick<WaStatus, 'state' | 'since' | 'detail' | 'cause' | 'lastLogout'>;
      const patch: Partial<WaStatus> = { state: d.state, since: d.since ?? null, detail: d.detail ?? null, cause: d.cause ?? null };
      // Older slices do not send it: keep what /api/wa said.
      if (d.lastLogout !== undefined) patch.lastLogout = d.lastLogout;
      if (d.state !== 'QR') patch.qr = null;
      setWa(qc, patch);
      if (d.state === 'READY') void qc.invalidateQueries({ queryKey: keys.chatsAll });
      return;
    }
    case 'wa.qr': {
      const d = ev.data as { qr: string };
      setWa(qc, { state: 'QR', qr: d.qr, since: new Date().toISOString() });
      return;
    }
    case 'slice.state': {
      const d = ev.data as { state?: string; to?: string };
      const state = d.state ?? d.to;
      if (!state) return;
      qc.setQueryData<Me>(keys.me, (me) => (me && me.slice ? { ...me, slice: { ...me.slice, state } } : me));
      // A slice that (re)started has a new WhatsApp session to ask about.
      if (state === 'RUNNING') void qc.invalidateQueries({ queryKey: keys.wa });
      return;
    }
    case 'message.created': {
      const msg = toMessage(ev.data);
      qc.setQueryData<Pages<Message>>(keys.messages(msg.chatId), (data) => addMessage(data, msg));
      // The chat moves to the top with the new preview (a chat.updated usually follows; this makes
      // the lists right even before it does), in every list whose filters it matches.
      const current = findCachedChat(qc, msg.chatId);
      if (!current) {
        void qc.invalidateQueries({ queryKey: keys.chatsAll });
        return;
      }
      const unread = msg.direction === 'in' && ctx.openChatId !== msg.chatId ? current.unreadCount + 1 : current.unreadCount;
      const next: Chat = { ...current, preview: previewOf(msg), lastMessageAt: msg.sentAt, unreadCount: unread };
      const meId = memberIdOf(qc);
      for (const [key, filters] of chatLists(qc)) {
        qc.setQueryData<Pages<Chat>>(key, (data) => upsertChat(data, next, { insertIfAbsent: true, remove: !chatMatches(next, filters, meId) }));
      }
      qc.setQueryData<Chat>(keys.chat(msg.chatId), (c) => (c ? { ...c, preview: next.preview, lastMessageAt: next.lastMessageAt, unreadCount: next.unreadCount } : c));
      return;
    }
    case 'message.updated': {
      const msg = toMessage(ev.data);
      qc.setQueryData<Pages<Message>>(keys.messages(msg.chatId), (data) => updateMessage(data, msg));
      return;
    }
    case 'chat.updated': {
      if ((ev.data as { hidden?: unknown }).hidden === true) {
        dropChat(qc, String((ev.data as { id: unknown }).id));
        return;
      }
      const chat = toChat(ev.data);
      const meId = memberIdOf(qc);
      for (const [key, filters] of chatLists(qc)) {
        qc.setQueryData<Pages<Chat>>(key, (data) => {
          const prev = findChat(data, chat.id);
          let listed = chat.labels ? chat : { ...chat, labels: prev?.labels ?? [] };
          // An update that does not speak of the assignee leaves it as it was.
          if (!('assignee' in chat) && prev && 'assignee' in prev) listed = { ...listed, assignee: prev.assignee ?? null };
          return upsertChat(data, listed, { insertIfAbsent: true, remove: !chatMatches(listed, filters, meId) });
        });
      }
      qc.setQueryData<Chat>(keys.chat(chat.id), (c) => (c ? { ...c, ...chat } : c));
      return;
    }
    case 'contact.updated': {
      const contact = toContact(ev.data);
      qc.setQueryData<Contact>(keys.contact(contact.id), (c) => (c ? { ...c, ...contact } : c));
      qc.setQueriesData<Pages<Contact>>({ queryKey: keys.contactsAll }, (data) =>
        data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((c) => (c.id === contact.id ? { ...c, ...contact } : c)) })) } : data,
      );
      return;
    }
    case 'team.updated':
      // Members, roles or settings changed: who may do what (and the assignee list) is asked again.
      void qc.invalidateQueries({ queryKey: keys.teamAll });
      void qc.invalidateQueries({ queryKey: keys.me });
      return;
    default:
      return;
  }
}

/** The freshest copy of a chat in the cache: from a list (events keep them current), else the single query. */
export function findCachedChat(qc: QueryClient, chatId: string): Chat | undefined {
  for (const [, data] of qc.getQueriesData<Pages<Chat>>({ queryKey: keys.chatsAll })) {
    const c = findChat(data, chatId);
    if (c) return c;
  }
  return qc.getQueryData<Chat>(keys.chat(chatId));
}

// Kept here too: the conversation and older code import the preview and labels from the reducer.
export { mediaLabel, previewOf };
