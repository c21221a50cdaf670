// Local edits of a chat seen everywhere at once: the chat itself and every cached chat list, where
// it is re-placed (or dropped) as the list's filters say, exactly as a chat.updated event would.
import type { QueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import type { Chat } from '../api/types.ts';
import { applyEvent } from './apply.ts';
import { findChat, type Pages } from './cache.ts';

export function findCachedChat(qc: QueryClient, chatId: string): Chat | undefined {
  const single = qc.getQueryData<Chat>(keys.chat(chatId));
  if (single) return single;
  for (const [, data] of qc.getQueriesData<Pages<Chat>>({ queryKey: keys.chatsAll })) {
    const c = findChat(data, chatId);
    if (c) return c;
  }
  return undefined;
}

export function patchChat(qc: QueryClient, chatId: string, fn: (c: Chat) => Chat): void {
  const current = findCachedChat(qc, chatId);
  if (!current) return;
  applyEvent(qc, { type: 'chat.updated', data: fn(current) });
}
