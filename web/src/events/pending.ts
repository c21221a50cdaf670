// A message sent from this tab, shown before the server answers: at the newest end of its chat and
// as the chat's preview in every cached list.
import type { QueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import type { Chat, Message } from '../api/types.ts';
import { previewOf } from '../lib/media-format.ts';
import { addMessage, type Pages } from './cache.ts';

export function showPending(qc: QueryClient, pending: Message): void {
  qc.setQueryData<Pages<Message>>(keys.messages(pending.chatId), (data) => addMessage(data ?? { pages: [{ items: [], nextCursor: null }], pageParams: [null] }, pending));
  qc.setQueriesData<Pages<Chat>>({ queryKey: keys.chatsAll }, (data) =>
    data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((c) => (c.id === pending.chatId ? { ...c, preview: previewOf(pending) } : c)) })) } : data,
  );
}
