// The inbox: chat list (search, filters, the Archived list, New chat) | conversation | contact panel.
// Keyboard: up/down moves through chats, `/` focuses search, `n` starts a new chat, Esc closes the
// contact panel (then the chat, at phone width).
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router';
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { getChat, getChatCounts, listChats, type ChatFilters } from '../api/chats.ts';
import { SAAS } from '../env.ts';
import { keys, normaliseFilters } from '../api/keys.ts';
import { listLabels } from '../api/labels.ts';
import { searchMessages } from '../api/messages.ts';
import { listStages } from '../api/stages.ts';
import type { Chat } from '../api/types.ts';
import { ChatList } from '../components/chat-list.tsx';
import { ContactPanel } from '../components/contact-panel.tsx';
import { NewChatForm } from '../components/new-chat.tsx';
import { cx, EmptyState, ErrorState, LoadingState } from '../components/ui.tsx';
import { listTime } from '../lib/dates.ts';
import { displayName } from '../lib/phone.ts';
import { useMember, useNotLinked } from '../session.ts';
import { queryWords } from '../lib/highlight.ts';
import { RichText } from '../components/rich-text.tsx';

// The conversation (messages, media, composer) loads after the chat list: the list is the first screen.
const Conversation = lazy(() => import('../components/conversation.tsx').then((m) => ({ default: m.Conversation })));

export function useChatList(filters: ChatFilters) {
  const f = normaliseFilters(filters);
  return useInfiniteQuery({
    queryKey: keys.chats(f),
    queryFn: ({ pageParam, signal }) => listChats(f, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    staleTime: 30_000,
    // While a new filter loads, the old list stays instead of a spinner.
    placeholderData: keepPreviousData,
  });
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export function InboxScreen() {
  const { chatId } = useParams();
  const selectedId = chatId ?? null;
  const navigate = useNavigate();
  const locationState = useLocation().state as { via?: string; message?: string } | null;
  const viaKeys = locationState?.via === 'keys';
  /** A search result opened: the conversation scrolls to this message. */
  const jumpTo = locationState?.message ?? null;
  const [query, setQuery] = useState('');
  const [q, setQ] = useState('');
  const [unread, setUnread] = useState(false);
  const [label, setLabel] = useState<number | null>(null);
  const [stage, setStage] = useState<number | null>(null);
  const [archived, setArchived] = useState(false);
  const [assignee, setAssignee] = useState<AssigneeFilter>(null);
  const { id: memberId } = useMember();
  const teamTabs = SAAS && memberId !== null;
  const [newChat, setNewChat] = useState(false);
  const [mode, setMode] = useState<'chats' | 'messages'>('chats');
  const [contactOpen, setContactOpen] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const t = setTimeout(() => setQ(query.trim()), 250);
    return () => clearTimeout(t);
  }, [query]);
  useEffect(() => {
    if (!q) setMode('chats');
  }, [q]);

  const whose = teamTabs ? assignee : null;
  const filters = useMemo<ChatFilters>(() => ({ q, unread, label, stage, archived, assignee: whose }), [q, unread, label, stage, archived, whose]);
  const chats = useChatList(filters);
  const items = useMemo(() => chats.data?.pages.flatMap((p) => p.items) ?? [], [chats.data]);
  const labels = useQuery({ queryKey: keys.labels, queryFn: ({ signal }) => listLabels(signal) });
  const stages = useQuery({ queryKey: keys.stages, queryFn: ({ signal }) => listStages(signal) });

  const fromList = selectedId ? items.find((c) => c.id === selectedId) : undefined;
  const single = useQuery({
    queryKey: keys.chat(selectedId ?? ''),
    queryFn: ({ signal }) => getChat(selectedId!, signal),
    enabled: !!selectedId && !fromList,
  });
  // The open conversation stays mounted while the list's filter changes under it (the chat may drop
  // out of the filtered list until its own query answers): remounting would blank its messages.
  const lastSelected = useRef<Chat | undefined>(undefined);
  const found = fromList ?? single.data;
  if (found) lastSelected.current = found;
  const selected: Chat | undefined = found ?? (lastSelected.current?.id === selectedId ? lastSelected.current : undefined);

  const select = useCallback((id: string) => navigate(`/inbox/${encodeURIComponent(id)}`), [navigate]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = chats;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);

  // Keyboard shortcuts.
  const latest = useRef({ items, selectedId, contactOpen });
  latest.current = { items, selectedId, contactOpen };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { items: list, selectedId: sel, contactOpen: open } = latest.current;
      if (e.key === 'n' && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(e.target)) {
        e.preventDefault();
        setNewChat(true);
        return;
      }
      if (e.key === '/' && !isTyping(e.target)) {
        e.preventDefault();
        searchRef.current?.focus();
        return;
      }
      if (e.key === 'Escape') {
        if (open) setContactOpen(false);
        else if (document.activeElement === searchRef.current) searchRef.current?.blur();
        else if (sel && window.matchMedia('(max-width: 767px)').matches) navigate('/inbox');
        return;
      }
      if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && (!isTyping(e.target) || e.target === searchRef.current)) {
        if (list.length === 0) return;
        e.preventDefault();
        const i = sel ? list.findIndex((c) => c.id === sel) : -1;
        const next = e.key === 'ArrowDown' ? Math.min(list.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
        const target = list[next];
        if (target && target.id !== sel) navigate(`/inbox/${encodeURIComponent(target.id)}`, { replace: true, state: { via: 'keys' } });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);

  const otherFilters = !!(q || unread || label !== null || stage !== null);
  const filtered = otherFilters || archived || !!whose;
  const emptyText = otherFilters
    ? 'No chats match these filters'
    : archived
      ? 'No archived chats'
      : whose === 'me'
        ? 'No chats assigned to you'
        : whose === 'none'
          ? 'Every chat is assigned'
          : 'No chats yet. They appear here as soon as WhatsApp syncs.';
  const notLinked = useNotLinked(chats.error, !filtered && chats.isSuccess && items.length === 0);

  return (
    <div className="flex h-full min-h-0">
      <h1 className="sr-only">Inbox</h1>
      <section aria-label="Chat list" className={cx('min-h-0 w-full flex-col border-r border-stone-200 bg-white md:flex md:w-[340px] lg:w-[380px]', selectedId ? 'hidden' : 'flex')}>
        <div className="space-y-2 border-b border-stone-200 px-3 py-2">
          <div className="flex items-center gap-2">
            <div className="relative min-w-0 flex-1">
              <input
                ref={searchRef}
                data-testid="chat-search"
                type="search"
                aria-label="Search chats"
                placeholder="Search or press /"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                className="w-full rounded-lg bg-stone-100 px-3 py-1.5 pl-8 text-sm outline-none focus:bg-white focus:ring-2 focus:ring-brand-100"
              />
              <svg viewBox="0 0 20 20" className="pointer-events-none absolute top-2 left-2.5 size-4 text-stone-400" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden>
                <circle cx="8.5" cy="8.5" r="5.5" />
                <path d="M13 13l4 4" />
              </svg>
            </div>
            <button
              type="button"
              data-testid="new-chat"
              aria-expanded={newChat}
              aria-keyshortcuts="n"
              title="New chat (n)"
              onClick={() => setNewChat((o) => !o)}
              className="shrink-0 rounded-lg bg-brand-600 px-2.5 py-1.5 text-sm font-medium text-white hover:bg-brand-700"
            >
              New chat
            </button>
          </div>
          {newChat ? (
            <NewChatForm
              onCancel={() => setNewChat(false)}
              onOpen={(chat) => {
                setNewChat(false);
                setArchived(!!chat.archived);
                navigate(`/inbox/${encodeURIComponent(chat.id)}`);
              }}
            />
          ) : null}
          {teamTabs ? <AssigneeTabs value={assignee} onChange={setAssignee} /> : null}
          <div className="flex items-center gap-1.5 text-xs">
            <FilterToggle testId="filter-unread" on={unread} onToggle={() => setUnread((u) => !u)}>
              Unread
            </FilterToggle>
            <FilterToggle testId="filter-archived" on={archived} onToggle={() => setArchived((a) => !a)}>
              Archived
            </FilterToggle>
            <select
              aria-label="Filter by label"
              data-testid="filter-label"
              value={label ?? ''}
              onChange={(e) => setLabel(e.target.value === '' ? null : Number(e.target.value))}
              className={cx('min-w-0 rounded-full border-0 px-2 py-1', label !== null ? 'bg-brand-100 text-brand-700' : 'bg-stone-100 text-stone-600')}
            >
              <option value="">All labels</option>
              {(labels.data ?? []).map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name}
                </option>
              ))}
            </select>
            <select
              aria-label="Filter by stage"
              data-testid="filter-stage"
              value={stage ?? ''}
              onChange={(e) => setStage(e.target.value === '' ? null : Number(e.target.value))}
              className={cx('min-w-0 rounded-full border-0 px-2 py-1', stage !== null ? 'bg-brand-100 text-brand-700' : 'bg-stone-100 text-stone-600')}
            >
              <option value="">All stages</option>
              {(stages.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
          {q ? (
            <div role="tablist" className="flex gap-4 text-sm">
              {(['chats', 'messages'] as const).map((m) => (
                <button
                  key={m}
                  role="tab"
                  type="button"
                  aria-selected={mode === m}
                  data-testid={`search-tab-${m}`}
                  onClick={() => setMode(m)}
                  className={cx('border-b-2 pb-1 capitalize', mode === m ? 'border-brand-600 text-brand-700' : 'border-transparent text-stone-500')}
                >
                  {m}
                </button>
              ))}
            </div>
          ) : null}
        </div>
        {mode === 'messages' && q ? (
          <MessageResults q={q} onOpen={(chat, message) => navigate(`/inbox/${encodeURIComponent(chat)}`, { state: { message } })} />
        ) : (
          <ChatList
            chats={items}
            selectedId={selectedId}
            onSelect={select}
            status={chats.status}
            error={chats.error}
            onRetry={() => void chats.refetch()}
            hasMore={!!hasNextPage}
            loadingMore={isFetchingNextPage}
            onLoadMore={loadMore}
            notLinked={notLinked}
            emptyText={emptyText}
          />
        )}
      </section>
      <div className={cx('min-h-0 min-w-0 flex-1', selectedId ? 'flex' : 'hidden md:flex')}>
        {!selectedId ? (
          <div className="flex flex-1 items-center justify-center bg-stone-50">
            <EmptyState testId="no-chat-selected" title="Select a chat">
              Use ↑ and ↓ to move through chats, / to search, n for a new chat.
            </EmptyState>
          </div>
        ) : selected ? (
          <>
            <Suspense fallback={<LoadingState label="Loading messages…" />}>
              <Conversation key={selected.id} chat={selected} focusComposer={!viaKeys && !jumpTo} jumpTo={jumpTo} onBack={() => navigate('/inbox')} contactOpen={contactOpen} onToggleContact={() => setContactOpen((o) => !o)} />
            </Suspense>
            {contactOpen ? (
              <div className="fixed inset-0 z-30 flex bg-black/20 lg:static lg:z-auto lg:bg-transparent" onClick={(e) => e.target === e.currentTarget && setContactOpen(false)}>
                <div className="ml-auto flex h-full w-full max-w-md lg:max-w-none">
                  <ContactPanel chat={selected} onClose={() => setContactOpen(false)} />
                </div>
              </div>
            ) : null}
          </>
        ) : single.isError ? (
          <ErrorState title="Could not open this chat" error={single.error} onRetry={() => void single.refetch()} />
        ) : (
          <LoadingState label="Opening chat…" />
        )}
      </div>
    </div>
  );
}

type AssigneeFilter = 'me' | 'none' | null;

const ASSIGNEE_TABS: Array<{ value: AssigneeFilter; id: 'mine' | 'unassigned' | 'all'; label: string }> = [
  { value: 'me', id: 'mine', label: 'Mine' },
  { value: 'none', id: 'unassigned', label: 'Unassigned' },
  { value: null, id: 'all', label: 'All' },
];

/** Mine / Unassigned / All with the slice's counts (the main list), asked again as chats change. */
function AssigneeTabs({ value, onChange }: { value: AssigneeFilter; onChange: (v: AssigneeFilter) => void }) {
  const counts = useQuery({ queryKey: keys.chatCounts, queryFn: ({ signal }) => getChatCounts(signal), staleTime: 10_000 });
  return (
    <div role="group" aria-label="Whose chats" className="flex gap-1 text-sm">
      {ASSIGNEE_TABS.map((t) => {
        const n = counts.data?.[t.id];
        return (
          <button
            key={t.id}
            type="button"
            data-testid={`inbox-filter-${t.id}`}
            aria-pressed={value === t.value}
            onClick={() => onChange(t.value)}
            className={cx('flex-1 rounded-md px-2 py-1', value === t.value ? 'bg-stone-800 text-white' : 'text-stone-600 hover:bg-stone-100')}
          >
            {t.label}
            {n !== undefined ? (
              <span data-testid="filter-count" className={cx('ml-1 text-xs', value === t.value ? 'text-stone-200' : 'text-stone-600')}>
                {n}
              </span>
            ) : null}
          </button>
        );
      })}
    </div>
  );
}

function FilterToggle({ testId, on, onToggle, children }: { testId: string; on: boolean; onToggle: () => void; children: ReactNode }) {
  return (
    <button type="button" data-testid={testId} aria-pressed={on} onClick={onToggle} className={cx('rounded-full px-2.5 py-1', on ? 'bg-brand-100 text-brand-700' : 'bg-stone-100 text-stone-600 hover:bg-stone-200')}>
      {children}
    </button>
  );
}

function MessageResults({ q, onOpen }: { q: string; onOpen: (chatId: string, messageId: string) => void }) {
  const results = useInfiniteQuery({
    queryKey: keys.search(q),
    queryFn: ({ pageParam, signal }) => searchMessages(q, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  if (results.isPending) return <LoadingState label="Searching messages…" />;
  if (results.isError) return <ErrorState title="Search failed" error={results.error} onRetry={() => void results.refetch()} />;
  const found = results.data.pages.flatMap((p) => p.items);
  const words = queryWords(q);
  if (found.length === 0) return <EmptyState title={`No messages contain “${q}”`} />;
  return (
    <ul data-testid="message-results" className="scrollbar-thin min-h-0 flex-1 overflow-y-auto">
      {found.map((m) => (
        <li key={m.id}>
          <button
            type="button"
            data-testid="message-result"
            onClick={() => onOpen(m.chatId, m.id)}
            className="block w-full border-b border-stone-100 px-3 py-2 text-left hover:bg-stone-50"
          >
            {m.chatName ? (
              <div data-testid="message-result-chat" className="truncate text-[13px] font-medium text-stone-900">
                {displayName(m.chatName)}
              </div>
            ) : null}
            <div className="flex text-xs text-stone-500">
              <span>{m.direction === 'out' ? 'You' : (m.author ?? 'Them')}</span>
              <span className="ml-auto">{listTime(m.sentAt)}</span>
            </div>
            <div data-testid="message-result-body" className="line-clamp-2 text-sm text-stone-800">
              <RichText text={m.body} highlight={words} links={false} />
            </div>
          </button>
        </li>
      ))}
      {results.hasNextPage ? (
        <li className="p-2 text-center">
          <button type="button" className="text-sm text-brand-700 hover:underline" onClick={() => void results.fetchNextPage()}>
            More results
          </button>
        </li>
      ) : null}
    </ul>
  );
}
