// The chat list: virtualised (10,000 chats scroll smoothly; only visible rows exist), loading the
// next page as the end comes near. Rows show name, time, preview, labels, the unread badge and the
// pinned and muted icons.
import { memo, useEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Chat } from '../api/types.ts';
import { listTime } from '../lib/dates.ts';
import { displayName, otherName } from '../lib/phone.ts';
import { parseWhatsApp, plainText } from '../lib/wa-format.ts';
import { MutedIcon, PinIcon } from './chat-actions.tsx';
import { Avatar, cx, EmptyState, ErrorState, LoadingState, NotLinkedState, Spinner } from './ui.tsx';

const ROW_HEIGHT = 72;

export interface ChatListProps {
  chats: Chat[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  status: 'pending' | 'error' | 'success';
  error?: unknown;
  onRetry?: () => void;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  emptyText: string;
  /** WhatsApp is not linked yet: an empty state with the way to link it instead of an error. */
  notLinked?: boolean;
}

export function ChatList(props: ChatListProps) {
  const { chats, selectedId, onSelect, hasMore, loadingMore, onLoadMore } = props;
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: chats.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (i) => chats[i]?.id ?? i,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastIndex = virtualItems[virtualItems.length - 1]?.index ?? -1;

  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= chats.length - 30) onLoadMore();
  }, [lastIndex, chats.length, hasMore, loadingMore, onLoadMore]);

  const selectedIndex = selectedId ? chats.findIndex((c) => c.id === selectedId) : -1;
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
    // Only when the selection moves, not when the list reorders under it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedId]);

  if (props.status === 'pending') return <LoadingState label="Loading chats…" />;
  if (props.notLinked && (props.status === 'error' || chats.length === 0)) return <NotLinkedState what="your chats" />;
  if (props.status === 'error') return <ErrorState title="Could not load chats" error={props.error} onRetry={props.onRetry} />;
  if (chats.length === 0) return <EmptyState testId="chat-list-empty" title={props.emptyText} />;

  return (
    <div ref={parentRef} data-testid="chat-list" role="listbox" aria-label="Chats" className="scrollbar-thin min-h-0 flex-1 overflow-y-auto">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualItems.map((item) => {
          const chat = chats[item.index]!;
          return (
            <div key={item.key} style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}>
              <ChatRow chat={chat} selected={chat.id === selectedId} onSelect={onSelect} />
            </div>
          );
        })}
      </div>
      {loadingMore ? (
        <div className="flex justify-center py-2">
          <Spinner />
        </div>
      ) : null}
    </div>
  );
}

const ChatRow = memo(function ChatRow({ chat, selected, onSelect }: { chat: Chat; selected: boolean; onSelect: (id: string) => void }) {
  const unread = chat.unreadCount > 0;
  return (
    <div
      role="option"
      aria-selected={selected}
      data-testid="chat-row"
      data-chat-id={chat.id}
      tabIndex={-1}
      onClick={() => onSelect(chat.id)}
      className={cx('flex h-full cursor-pointer items-center gap-3 border-b border-stone-100 px-3', selected ? 'bg-stone-200/70' : 'hover:bg-stone-50')}
    >
      <Avatar name={chat.name} seed={chat.id} />
      <div className="min-w-0 flex-1">
        <div className="flex items-baseline gap-2">
          <span data-testid="chat-name" className="truncate text-[15px] text-stone-900">
            {displayName(chat.name)}
          </span>
          {otherName(chat) ? (
            <span data-testid="chat-wa-name" className="hidden min-w-0 shrink truncate text-xs text-stone-500 sm:inline">
              {otherName(chat)}
            </span>
          ) : null}
          <span className={cx('ml-auto shrink-0 text-xs', unread ? 'font-medium text-brand-600' : 'text-stone-500')}>{listTime(chat.lastMessageAt)}</span>
        </div>
        <div className="mt-0.5 flex items-center gap-2">
          <span data-testid="chat-preview" className="truncate text-[13px] text-stone-500">
            {chat.preview ? plainText(parseWhatsApp(chat.preview)) : ''}
          </span>
          <span className="ml-auto flex shrink-0 items-center gap-1">
            {chat.muted ? <MutedIcon testId="chat-muted" /> : null}
            {chat.pinned ? <PinIcon testId="chat-pinned" /> : null}
            {chat.labels.slice(0, 3).map((l) => (
              <span key={l.id} title={l.name} aria-label={`Label ${l.name}`} className="size-2 rounded-full" style={{ backgroundColor: l.color || '#78716c' }} />
            ))}
            {unread ? (
              <span data-testid="unread-badge" aria-label={`${chat.unreadCount} unread`} className="min-w-5 rounded-full bg-brand-600 px-1.5 text-center text-[11px] font-semibold leading-5 text-white">
                {chat.unreadCount > 999 ? '999+' : chat.unreadCount}
              </span>
            ) : null}
          </span>
        </div>
      </div>
    </div>
  );
});
