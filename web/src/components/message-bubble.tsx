// One message: bubble side by direction, author in groups, media placeholder, quote, WhatsApp's
// formatting and links, time, ticks.
import { memo } from 'react';
import type { Message } from '../api/types.ts';
import { mediaLabel } from '../events/apply.ts';
import { timeOfDay } from '../lib/dates.ts';
import { RichText } from './rich-text.tsx';
import { Ticks } from './ticks.tsx';
import { cx } from './ui.tsx';

export const MessageBubble = memo(function MessageBubble({ message, quoted, showAuthor }: { message: Message; quoted?: Message | null; showAuthor?: boolean }) {
  const out = message.direction === 'out';
  return (
    <div className={cx('flex px-3 md:px-[6%]', out ? 'justify-end' : 'justify-start')}>
      <div
        data-testid="message"
        data-message-id={message.id}
        data-direction={message.direction}
        data-pending={message.ack === 0 ? 'true' : undefined}
        className={cx('relative my-0.5 max-w-[85%] rounded-lg px-2.5 pt-1.5 pb-1 text-[14px] leading-[19px] shadow-[0_1px_0.5px_rgba(0,0,0,0.13)] md:max-w-[65%]', out ? 'bg-bubble-out' : 'bg-white')}
      >
        {showAuthor && !out && message.author ? <div className="mb-0.5 text-xs font-medium text-brand-700">{message.author}</div> : null}
        {message.quotedId || message.quotedBody ? (
          <div className="mb-1 rounded border-l-4 border-brand-500 bg-black/5 px-2 py-1 text-xs text-stone-600">
            {quoted ? (
              <>
                <div className="font-medium text-brand-700">{quoted.direction === 'out' ? 'You' : (quoted.author ?? 'Them')}</div>
                <div className="line-clamp-2">{quoted.body || (quoted.mediaKind ? mediaLabel(quoted.mediaKind) : '')}</div>
              </>
            ) : message.quotedBody ? (
              <div className="line-clamp-2">{message.quotedBody}</div>
            ) : (
              <span className="italic">Quoted message</span>
            )}
          </div>
        ) : null}
        {message.mediaKind ? (
          <div data-testid="media-placeholder" className="mb-1 flex items-center gap-2 rounded-md bg-black/5 px-3 py-2 text-xs text-stone-600">
            <MediaIcon kind={message.mediaKind} />
            <span>{mediaLabel(message.mediaKind)}</span>
          </div>
        ) : null}
        {message.recalled ? (
          <span className="italic text-stone-500">This message was deleted</span>
        ) : message.body ? (
          <span data-testid="message-body" className="whitespace-pre-wrap break-words">
            <RichText text={message.body} />
          </span>
        ) : null}
        <span className="float-right ml-2 mt-1.5 inline-flex translate-y-0.5 items-center gap-1 text-[11px] text-stone-500">
          <time dateTime={message.sentAt}>{timeOfDay(message.sentAt)}</time>
          {out ? <Ticks ack={message.ack} /> : null}
        </span>
      </div>
    </div>
  );
});

function MediaIcon({ kind }: { kind: string }) {
  const d: Record<string, string> = {
    image: 'M3 4h14v12H3zM5 14l3.5-4 2.5 3 2-2 2 3z',
    video: 'M3 5h10v10H3zM13 8l4-2v8l-4-2z',
    audio: 'M8 3v9.5A2.5 2.5 0 1 1 6 10V3h6v3H8z',
    voice: 'M10 2a2.5 2.5 0 0 1 2.5 2.5v5a2.5 2.5 0 0 1-5 0v-5A2.5 2.5 0 0 1 10 2zM5 9.5a5 5 0 0 0 10 0M10 14.5V18',
    document: 'M5 2h7l4 4v12H5zM12 2v4h4',
    location: 'M10 18s-5-5.5-5-9a5 5 0 0 1 10 0c0 3.5-5 9-5 9zM10 7a2 2 0 1 0 0 4 2 2 0 0 0 0-4z',
  };
  return (
    <svg viewBox="0 0 20 20" className="size-5 shrink-0 text-stone-500" fill="none" stroke="currentColor" strokeWidth="1.4" aria-hidden>
      <path d={d[kind] ?? d.document!} />
    </svg>
  );
}
