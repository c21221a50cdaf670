// The conversation's messages, virtualised (@tanstack/react-virtual, rows measured as they render):
// only a window of a long chat is in the page. Day separators are rows of their own. It sticks to
// the bottom when new messages come while at the bottom, keeps its place when older pages are
// prepended, and brings a searched-for message into view and marks it.
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type MutableRefObject, type ReactNode } from 'react';
import { observeElementRect, useVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import type { Message } from '../api/types.ts';
import { groupByDay } from '../lib/dates.ts';
import { mediaBox } from './media/media-box.ts';
import { MessageBubble } from './message-bubble.tsx';
import { Spinner } from './ui.tsx';

/** How many older pages a jump to a search result may load before it gives up. */
const JUMP_PAGES = 20;

type Row = { type: 'start'; key: string } | { type: 'day'; key: string; day: string; label: string } | { type: 'message'; key: string; message: Message };

function rowsOf(list: Message[]): Row[] {
  const rows: Row[] = [{ type: 'start', key: 'start' }];
  for (const g of groupByDay(list)) {
    rows.push({ type: 'day', key: `day:${g.day}`, day: g.day, label: g.label });
    for (const m of g.messages) rows.push({ type: 'message', key: m.id, message: m });
  }
  return rows;
}

/** A first guess of a row's height; photos and videos reserve their box, so the guess is close. */
function estimate(row: Row | undefined): number {
  if (!row || row.type === 'start') return 32;
  if (row.type === 'day') return 36;
  const m = row.message;
  const text = m.body ? Math.ceil(m.body.length / 45) * 19 : 0;
  const k = m.media?.kind;
  let media = 0;
  if (k === 'image' || k === 'sticker' || k === 'video') media = mediaBox(m.media!).height + 4;
  else if (k === 'document' || k === 'location' || k === 'contact') media = 64;
  else if (k === 'audio' || k === 'voice') media = 48;
  else if (m.mediaKind) media = 40;
  return 34 + text + media + (m.reactions?.length ? 22 : 0) + (m.linkPreview ? 60 : 0);
}

/** Before the first layout (or where there is none) the list has no height: assume a window's. */
const observeRect: typeof observeElementRect = (instance, cb) =>
  observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : { width: rect.width, height: window.innerHeight || 720 }));

export function MessageList({
  messages,
  isGroup,
  pageCount,
  hasNextPage,
  isFetchingNextPage,
  fetchNextPage,
  ready,
  jumpTo,
  stick,
  placeholder,
}: {
  messages: Message[];
  isGroup: boolean;
  pageCount: number;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
  /** The first page is in (a jump may start loading older ones). */
  ready: boolean;
  jumpTo: string | null;
  /** Shared with the composer's sends: a message sent by us always brings the view down. */
  stick: MutableRefObject<boolean>;
  /** Loading, error or empty: shown instead of rows. */
  placeholder: ReactNode;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => rowsOf(messages), [messages]);
  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages]);
  const virtualizer = useVirtualizer({
    count: placeholder ? 0 : rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => estimate(rows[i]),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 6,
    observeElementRect: observeRect,
  });
  const total = virtualizer.getTotalSize();
  const prepend = useRef<{ total: number; top: number; pages: number } | null>(null);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    if (prepend.current && pageCount > prepend.current.pages) {
      el.scrollTop = total - prepend.current.total + prepend.current.top;
      prepend.current = null;
    } else if (stick.current && !prepend.current) {
      el.scrollTop = Math.max(el.scrollHeight, total);
    }
  }, [rows, pageCount, total, stick]);

  // Panels opening or the composer growing change the height: stay at the bottom if we were.
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [stick]);

  const marked = useJump(virtualizer, rows, byId, { jumpTo, ready, hasNextPage, isFetchingNextPage, fetchNextPage, pageCount, stick });

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const height = Math.max(el.scrollHeight, virtualizer.getTotalSize());
    stick.current = height - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 120 && hasNextPage && !isFetchingNextPage && !prepend.current) {
      prepend.current = { total: virtualizer.getTotalSize(), top: el.scrollTop, pages: pageCount };
      void fetchNextPage();
    }
  };
  // A page that failed to load must not leave the view waiting for it.
  useEffect(() => {
    if (!isFetchingNextPage && prepend.current && pageCount <= prepend.current.pages) prepend.current = null;
  }, [isFetchingNextPage, pageCount]);

  const items = virtualizer.getVirtualItems();
  return (
    <div ref={scrollRef} onScroll={onScroll} data-testid="message-list" role="log" aria-label="Messages" tabIndex={0} className="scrollbar-thin relative min-h-0 flex-1 overflow-y-auto">
      {placeholder ?? (
        <div style={{ height: total, position: 'relative', width: '100%' }}>
          {items.map((item) => {
            const row = rows[item.index]!;
            return (
              <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${item.start}px)` }}>
                {row.type === 'start' ? (
                  isFetchingNextPage ? (
                    <div className="flex justify-center py-2">
                      <Spinner />
                    </div>
                  ) : !hasNextPage ? (
                    <p className="py-2 text-center text-xs text-stone-600">Start of the conversation</p>
                  ) : (
                    <div className="h-8" />
                  )
                ) : row.type === 'day' ? (
                  <div data-testid="day-group" data-day={row.day} className="flex justify-center py-1.5">
                    <span className="rounded-md bg-white/95 px-2.5 py-1 text-xs text-stone-600 shadow-sm">{row.label}</span>
                  </div>
                ) : (
                  <MessageBubble message={row.message} quoted={row.message.quotedId ? byId.get(row.message.quotedId) : null} showAuthor={isGroup} marked={marked === row.message.id} />
                )}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

/**
 * A search result: load older pages until the message is there (at most JUMP_PAGES), then scroll
 * to its row and mark it for a moment. Answers the id being marked.
 */
function useJump(
  virtualizer: Virtualizer<HTMLDivElement, Element>,
  rows: Row[],
  byId: Map<string, Message>,
  o: { jumpTo: string | null; ready: boolean; hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown; pageCount: number; stick: MutableRefObject<boolean> },
): string | null {
  const [jumped, setJumped] = useState<string | null>(null);
  const [marked, setMarked] = useState<string | null>(null);
  const { jumpTo, ready, hasNextPage, isFetchingNextPage, fetchNextPage, pageCount, stick } = o;
  useEffect(() => {
    if (!jumpTo || jumped === jumpTo || !ready) return;
    if (!byId.has(jumpTo)) {
      if (hasNextPage && !isFetchingNextPage && pageCount < JUMP_PAGES) void fetchNextPage();
      return;
    }
    stick.current = false;
    const index = rows.findIndex((r) => r.type === 'message' && r.message.id === jumpTo);
    if (index >= 0) virtualizer.scrollToIndex(index, { align: 'center' });
    setJumped(jumpTo);
    setMarked(jumpTo);
  }, [jumpTo, jumped, ready, byId, rows, hasNextPage, isFetchingNextPage, pageCount, fetchNextPage, virtualizer, stick]);
  useEffect(() => {
    if (!marked) return;
    const t = setTimeout(() => setMarked(null), 2_500);
    return () => clearTimeout(t);
  }, [marked]);
  return marked;
}
