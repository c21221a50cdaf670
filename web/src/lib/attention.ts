// Which new messages ask for attention, and the tab title. Pure rules, no browser APIs.
import type { Chat, Message } from '../api/types.ts';

export interface AlertContext {
  /** The signed-in member's id (SaaS), to match `chat.assignee`. */
  meId?: string | number | null;
  /** The chat open on screen. */
  openChatId?: string | null;
  /** The tab is in front (document.visibilityState === 'visible'). */
  visible: boolean;
}

/** The assigned member's id, whichever shape the server sent; null: nobody. */
export function assigneeId(chat: Pick<Chat, 'assignee'> | undefined): string | null {
  const a = chat?.assignee;
  if (a === undefined || a === null || a === '') return null;
  return typeof a === 'object' ? a.memberId : String(a);
}

/** A chat assigned to nobody, or to me, is mine to answer. */
export function isMine(chat: Pick<Chat, 'assignee'> | undefined, meId?: string | number | null): boolean {
  const assignee = assigneeId(chat);
  if (assignee === null) return true;
  return meId !== undefined && meId !== null && assignee === String(meId);
}

/**
 * A sound and (when allowed) a desktop notification: for a message from the contact, in a chat that
 * is not muted and is mine, unless that chat is open in a tab the person is looking at.
 */
export function shouldAlert(msg: Pick<Message, 'direction' | 'chatId'>, chat: Pick<Chat, 'assignee' | 'muted'> | undefined, ctx: AlertContext): boolean {
  if (msg.direction !== 'in') return false;
  if (chat?.muted === true) return false;
  if (!isMine(chat, ctx.meId)) return false;
  if (ctx.visible && ctx.openChatId === msg.chatId) return false;
  return true;
}

/** "(3) Queunir" while 3 chats have unread messages, else "Queunir". */
export function tabTitle(unreadChats: number): string {
  return unreadChats > 0 ? `(${unreadChats > 999 ? '999+' : unreadChats}) Queunir` : 'Queunir';
}

/** Chats with unread messages, each counted once across every list that holds it. */
export function countUnreadChats(lists: Iterable<Chat[]>): number {
  const unread = new Map<string, boolean>();
  for (const list of lists) for (const c of list) if (!unread.get(c.id)) unread.set(c.id, c.unreadCount > 0);
  let n = 0;
  for (const v of unread.values()) if (v) n++;
  return n;
}
