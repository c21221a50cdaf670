// Local edits of a chat seen everywhere at once: the chat itself and every cached chat list, where
// it is re-placed (or dropped) as the list's filters say, exactly as a chat.updated event would.
import type { QueryClient } from '@tanstack/react-query';
import type { Chat } from '../api/types.ts';
import { applyEvent, findCachedChat } from './apply.ts';

export { findCachedChat };

export function patchChat(qc: QueryClient, chatId: string, fn: (c: Chat) => Chat): void {
  const current = findCachedChat(qc, chatId);
  if (!current) return;
  applyEvent(qc, { type: 'chat.updated', data: fn(current) });
}
