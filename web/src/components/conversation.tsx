// The open conversation: messages grouped by day, older pages loaded when scrolled to the top (the
// view keeps its place), new messages followed when at the bottom, and the composer with the
// message shown at once as pending.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import { listMessages, sendMessage } from '../api/messages.ts';
import { markRead } from '../api/chats.ts';
import type { Chat, Message } from '../api/types.ts';
import { addMessage, chronological, updateMessage, type Pages } from '../events/cache.ts';
import { previewOf } from '../events/apply.ts';
import { setOpenChat } from '../events/event-stream.tsx';
import { groupByDay } from '../lib/dates.ts';
import { displayName, formatPhone, otherName } from '../lib/phone.ts';
import { ChatActionsMenu } from './chat-actions.tsx';
import { Composer } from './composer.tsx';
import { MessageBubble } from './message-bubble.tsx';
import { Avatar, EmptyState, ErrorLine, ErrorState, LoadingState, Spinner } from './ui.tsx';

let pendingSeq = 0;
/** How many older pages a jump to a search result may load before it gives up. */
const JUMP_PAGES = 20;

export function Conversation({
  chat,
  onBack,
  onToggleContact,
  contactOpen,
  focusComposer = true,
  jumpTo = null,
}: {
  chat: Chat;
  onBack: () => void;
  onToggleContact: () => void;
  contactOpen: boolean;
  /** false while the person moves through chats with the arrow keys (the cursor stays on the list). */
  focusComposer?: boolean;
  /** A message to scroll to and mark (a search result opened); older pages load until it shows. */
  jumpTo?: string | null;
}) {
  const qc = useQueryClient();
  const chatId = chat.id;
  const messages = useInfiniteQuery({
    queryKey: keys.messages(chatId),
    queryFn: ({ pageParam, signal }) => listMessages(chatId, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    staleTime: 30_000,
  });

  // Opening a chat reads it.
  useEffect(() => {
    setOpenChat(chatId);
    return () => setOpenChat(null);
  }, [chatId]);
  const unread = chat.unreadCount;
  useEffect(() => {
    if (unread <= 0) return;
    const zero = (c: Chat) => (c.id === chatId ? { ...c, unreadCount: 0 } : c);
    qc.setQueriesData<Pages<Chat>>({ queryKey: keys.chatsAll }, (data) => (data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map(zero) })) } : data));
    qc.setQueryData<Chat>(keys.chat(chatId), (c) => (c ? zero(c) : c));
    markRead(chatId).catch(() => undefined);
  }, [chatId, unread, qc]);

  const send = useMutation({
    mutationFn: ({ body }: { body: string; pendingId: string }) => sendMessage(chatId, body),
    onMutate: ({ body, pendingId }) => {
      const pending: Message = { id: pendingId, chatId, direction: 'out', author: null, body, sentAt: new Date().toISOString(), ack: 0, mediaKind: null, quotedId: null };
      qc.setQueryData<Pages<Message>>(keys.messages(chatId), (data) => addMessage(data ?? { pages: [{ items: [], nextCursor: null }], pageParams: [null] }, pending));
      qc.setQueriesData<Pages<Chat>>({ queryKey: keys.chatsAll }, (data) =>
        data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((c) => (c.id === chatId ? { ...c, preview: previewOf(pending) } : c)) })) } : data,
      );
      stickToBottom.current = true;
    },
    onSuccess: (msg, { pendingId }) => {
      qc.setQueryData<Pages<Message>>(keys.messages(chatId), (data) => addMessage(data, msg, pendingId));
    },
    onError: (_err, { pendingId }) => {
      qc.setQueryData<Pages<Message>>(keys.messages(chatId), (data) => updateMessage(data, { id: pendingId, ack: -1 }));
    },
  });
  const onSend = useCallback((body: string) => send.mutate({ body, pendingId: `pending:${++pendingSeq}` }), [send]);

  const list = useMemo(() => chronological(messages.data), [messages.data]);
  const byId = useMemo(() => new Map(list.map((m) => [m.id, m])), [list]);
  const groups = useMemo(() => groupByDay(list), [list]);

  // Scroll keeping: at the bottom on open and when new messages come while at the bottom; in place
  // when older pages are prepended.
  const scrollRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const prepend = useRef<{ height: number; top: number } | null>(null);
  const pageCount = messages.data?.pages.length ?? 0;

  useLayoutEffect(() => {
    stickToBottom.current = true;
  }, [chatId]);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    if (prepend.current) {
      el.scrollTop = el.scrollHeight - prepend.current.height + prepend.current.top;
      prepend.current = null;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [list, pageCount]);

  // Panels opening or the composer growing change the height: stay at the bottom if we were.
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (stickToBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const { hasNextPage, isFetchingNextPage, fetchNextPage } = messages;

  // A search result: load older pages until the message is there (at most JUMP_PAGES), then bring
  // it into view and mark it for a moment.
  const [jumped, setJumped] = useState<string | null>(null);
  useEffect(() => {
    if (!jumpTo || jumped === jumpTo || messages.isPending) return;
    if (!byId.has(jumpTo)) {
      if (hasNextPage && !isFetchingNextPage && pageCount < JUMP_PAGES) void fetchNextPage();
      return;
    }
    stickToBottom.current = false;
    const el = [...(scrollRef.current?.querySelectorAll<HTMLElement>('[data-message-id]') ?? [])].find((e) => e.dataset.messageId === jumpTo);
    el?.scrollIntoView?.({ block: 'center' });
    el?.setAttribute('data-jumped', 'true');
    setJumped(jumpTo);
    const t = setTimeout(() => el?.removeAttribute('data-jumped'), 2_500);
    return () => clearTimeout(t);
  }, [jumpTo, jumped, byId, hasNextPage, isFetchingNextPage, pageCount, fetchNextPage, messages.isPending]);
  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 120 && hasNextPage && !isFetchingNextPage) {
      prepend.current = { height: el.scrollHeight, top: el.scrollTop };
      void fetchNextPage();
    }
  };

  return (
    <section data-testid="conversation" aria-label={`Conversation with ${chat.name}`} className="flex min-h-0 min-w-0 flex-1 flex-col bg-chat-bg">
      <header className="flex h-14 shrink-0 items-center gap-3 border-b border-stone-200 bg-stone-50 px-3">
        <button type="button" aria-label="Back to chats" onClick={onBack} className="rounded p-1 text-stone-600 hover:bg-stone-200 md:hidden">
          <svg viewBox="0 0 20 20" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden>
            <path d="M12.5 4l-6 6 6 6" />
          </svg>
        </button>
        <button type="button" onClick={onToggleContact} className="flex min-w-0 flex-1 items-center gap-3 text-left">
          <Avatar name={chat.name} seed={chat.id} />
          <span className="min-w-0">
            <span data-testid="conversation-title" className="block truncate text-[15px] font-medium text-stone-900">
              {displayName(chat.name)}
            </span>
            <span data-testid="conversation-phone" className="block truncate text-xs text-stone-500">
              {[otherName(chat), formatPhone(chat.phone)].filter(Boolean).join(' · ')}
            </span>
          </span>
        </button>
        <button
          type="button"
          data-testid="toggle-contact"
          aria-pressed={contactOpen}
          onClick={onToggleContact}
          className="rounded-md px-2 py-1 text-sm text-stone-600 hover:bg-stone-200"
        >
          {contactOpen ? 'Hide details' : 'Details'}
        </button>
        <ChatActionsMenu chat={chat} />
      </header>
      <div ref={scrollRef} onScroll={onScroll} data-testid="message-list" role="log" aria-label="Messages" tabIndex={0} className="scrollbar-thin min-h-0 flex-1 overflow-y-auto py-2">
        {messages.isPending ? (
          <LoadingState label="Loading messages…" />
        ) : messages.isError ? (
          <ErrorState title="Could not load messages" error={messages.error} onRetry={() => void messages.refetch()} />
        ) : list.length === 0 ? (
          <EmptyState title="No messages yet">Say hello below.</EmptyState>
        ) : (
          <>
            {isFetchingNextPage ? (
              <div className="flex justify-center py-2">
                <Spinner />
              </div>
            ) : !hasNextPage ? (
              <p className="py-2 text-center text-xs text-stone-500">Start of the conversation</p>
            ) : null}
            {groups.map((g) => (
              <div key={g.day} data-testid="day-group" data-day={g.day}>
                <div className="sticky top-0 z-10 flex justify-center py-1.5">
                  <span className="rounded-md bg-white/95 px-2.5 py-1 text-xs text-stone-600 shadow-sm">{g.label}</span>
                </div>
                {g.messages.map((m) => (
                  <MessageBubble key={m.id} message={m} quoted={m.quotedId ? byId.get(m.quotedId) : null} showAuthor={chat.isGroup === true} />
                ))}
              </div>
            ))}
          </>
        )}
      </div>
      <ErrorLine error={send.error} prefix="Not sent." testId="send-error" className="bg-red-50 px-4 py-1 text-xs" />
      <Composer onSend={onSend} autoFocus={focusComposer} />
    </section>
  );
}
