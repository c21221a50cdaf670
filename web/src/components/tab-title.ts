// The unread count the tab title and the Inbox navigation item show: the slice's count over every
// chat, refreshed after events, and the cached chat lists' own count meanwhile (the larger: a list
// knows a new message at once, the slice knows the chats no list has loaded).
import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getUnreadChatCount } from '../api/chats.ts';
import { keys } from '../api/keys.ts';
import type { Chat } from '../api/types.ts';
import type { Pages } from '../events/cache.ts';
import { countUnreadChats, tabTitle } from '../lib/attention.ts';

export function useUnreadChats(): number {
  const qc = useQueryClient();
  const [count, setCount] = useState(0);
  // No retry: before linking there is no slice to ask, and the lists' count (0) is right then.
  const server = useQuery({ queryKey: keys.unreadChats, queryFn: ({ signal }) => getUnreadChatCount(signal), retry: false, refetchInterval: 60_000 });
  useEffect(() => {
    const compute = () => {
      const lists = qc.getQueriesData<Pages<Chat>>({ queryKey: keys.chatsAll }).map(([, data]) => data?.pages.flatMap((p) => p.items) ?? []);
      setCount(countUnreadChats(lists));
    };
    compute();
    return qc.getQueryCache().subscribe(compute);
  }, [qc]);
  return Math.max(count, server.data ?? 0);
}

export function useTabTitle(unreadChats: number): void {
  useEffect(() => {
    document.title = tabTitle(unreadChats);
  }, [unreadChats]);
  useEffect(() => () => void (document.title = tabTitle(0)), []);
}
