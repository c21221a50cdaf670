// The unread count the tab title and the Inbox navigation item show, from every cached chat list
// (events keep them current).
import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import type { Chat } from '../api/types.ts';
import type { Pages } from '../events/cache.ts';
import { countUnreadChats, tabTitle } from '../lib/attention.ts';

export function useUnreadChats(): number {
  const qc = useQueryClient();
  const [count, setCount] = useState(0);
  useEffect(() => {
    const compute = () => {
      const lists = qc.getQueriesData<Pages<Chat>>({ queryKey: keys.chatsAll }).map(([, data]) => data?.pages.flatMap((p) => p.items) ?? []);
      setCount(countUnreadChats(lists));
    };
    compute();
    return qc.getQueryCache().subscribe(compute);
  }, [qc]);
  return count;
}

export function useTabTitle(unreadChats: number): void {
  useEffect(() => {
    document.title = tabTitle(unreadChats);
  }, [unreadChats]);
  useEffect(() => () => void (document.title = tabTitle(0)), []);
}
