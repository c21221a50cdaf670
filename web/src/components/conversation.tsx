// The open conversation: the virtualised message list (message-list.tsx), the composer with the
// message shown at once as pending, and files attached by button, paste or drag and drop.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import { listMessages, sendMessage } from '../api/messages.ts';
import { markRead } from '../api/chats.ts';
import type { Chat, Message } from '../api/types.ts';
import { addMessage, chronological, updateMessage, type Pages } from '../events/cache.ts';
import { showPending } from '../events/pending.ts';
import { setOpenChat } from '../events/event-stream.tsx';
import { displayName, formatPhone, otherName } from '../lib/phone.ts';
import { SAAS } from '../env.ts';
import { useMember } from '../session.ts';
import { AssigneeControl } from './assignee-control.tsx';
import { ChatActionsMenu } from './chat-actions.tsx';
import { Composer } from './composer.tsx';
import { useAttaching } from './media/use-attaching.ts';
import { MessageList } from './message-list.tsx';
import { Avatar, EmptyState, ErrorLine, ErrorState, LoadingState } from './ui.tsx';

let pendingSeq = 0;

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

  const member = useMember();
  const teamOn = SAAS && member.id !== null;
  const send = useMutation({
    mutationFn: ({ body }: { body: string; pendingId: string }) => sendMessage(chatId, body),
    onMutate: ({ body, pendingId }) => {
      const pending: Message = { id: pendingId, chatId, direction: 'out', author: null, body, sentAt: new Date().toISOString(), ack: 0, mediaKind: null, quotedId: null };
      showPending(qc, pending);
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
  const stickToBottom = useRef(true);
  const pageCount = messages.data?.pages.length ?? 0;
  useLayoutEffect(() => {
    stickToBottom.current = true;
  }, [chatId]);

  const attaching = useAttaching(
    chatId,
    useCallback(() => {
      stickToBottom.current = true;
    }, []),
  );
  const [dragging, setDragging] = useState(false);
  const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  const onDragOver = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    setDragging(true);
  };
  const onDrop = (e: DragEvent) => {
    setDragging(false);
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    attaching.offer(file);
  };

  const { hasNextPage, isFetchingNextPage, fetchNextPage } = messages;
  const placeholder = messages.isPending ? (
    <LoadingState label="Loading messages…" />
  ) : messages.isError ? (
    <ErrorState title="Could not load messages" error={messages.error} onRetry={() => void messages.refetch()} />
  ) : list.length === 0 ? (
    <EmptyState title="No messages yet">Say hello below.</EmptyState>
  ) : null;

  return (
    <section
      data-testid="conversation"
      aria-label={`Conversation with ${chat.name}`}
      onDragOver={onDragOver}
      onDragLeave={(e) => e.currentTarget === e.target && setDragging(false)}
      onDrop={onDrop}
      className="relative flex min-h-0 min-w-0 flex-1 flex-col bg-chat-bg"
    >
      {dragging ? (
        <div data-testid="drop-zone" className="pointer-events-none absolute inset-2 z-40 flex items-center justify-center rounded-lg border-2 border-dashed border-brand-500 bg-white/80 text-sm font-medium text-brand-700">
          Drop the file to send it
        </div>
      ) : null}
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
        {teamOn ? <AssigneeControl chat={chat} /> : null}
        <ChatActionsMenu chat={chat} />
      </header>
      <MessageList
        messages={list}
        isGroup={chat.isGroup === true}
        pageCount={pageCount}
        hasNextPage={hasNextPage}
        isFetchingNextPage={isFetchingNextPage}
        fetchNextPage={fetchNextPage}
        ready={!messages.isPending}
        jumpTo={jumpTo}
        stick={stickToBottom}
        placeholder={placeholder}
      />
      <ErrorLine error={send.error ?? attaching.error} prefix="Not sent." testId="send-error" className="bg-red-50 px-4 py-1 text-xs" />
      <Composer onSend={onSend} autoFocus={focusComposer} attach={attaching} />
    </section>
  );
}
