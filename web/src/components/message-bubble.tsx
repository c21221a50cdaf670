// One message: bubble side by direction, author in groups, the file (components/media), quote,
// link preview, WhatsApp's formatting and links, time, "Edited", ticks, and reactions under it.
// System notices are not bubbles: they sit centred, as WhatsApp shows them.
import { lazy, memo, Suspense } from 'react';
import type { Message } from '../api/types.ts';
import { mediaLabel } from '../lib/media-format.ts';
import { timeOfDay } from '../lib/dates.ts';
import { EditedTag, LinkPreviewCard, SystemNotice } from './media/extras.tsx';
import { cardReplacesBody, MediaPlaceholder, MediaSlot } from './media/placeholder.tsx';
import { ReactionChips, ReactionPicker, useReactions } from './media/reactions.tsx';
import { RichText } from './rich-text.tsx';
import { Ticks } from './ticks.tsx';
import { cx } from './ui.tsx';

// Photos, players and cards load with the first media message, not with the first screen.
const MessageMedia = lazy(() => import('./media/message-media.tsx'));

export const MessageBubble = memo(function MessageBubble({ message, quoted, showAuthor, marked }: { message: Message; quoted?: Message | null; showAuthor?: boolean; marked?: boolean }) {
  if (message.kind === 'system') return <SystemNotice message={message} />;
  return <Bubble message={message} quoted={quoted} showAuthor={showAuthor} marked={marked} />;
});

function Bubble({ message, quoted, showAuthor, marked }: { message: Message; quoted?: Message | null; showAuthor?: boolean; marked?: boolean }) {
  const out = message.direction === 'out';
  const sent = !message.id.startsWith('pending:') && !message.recalled;
  const reactions = useReactions(message);
  const showBody = message.body && !cardReplacesBody(message);
  return (
    <div className={cx('flex px-3 md:px-[6%]', out ? 'justify-end' : 'justify-start')}>
      <div data-testid="message-group" className="group relative flex max-w-[85%] flex-col md:max-w-[65%]">
        <div
          data-testid="message"
          data-message-id={message.id}
          data-direction={message.direction}
          data-pending={message.ack === 0 ? 'true' : undefined}
          data-jumped={marked ? 'true' : undefined}
          data-kind={message.media?.kind ?? message.mediaKind ?? 'text'}
          className={cx('relative my-0.5 rounded-lg px-2.5 pt-1.5 pb-1 text-[14px] leading-[19px] shadow-[0_1px_0.5px_rgba(0,0,0,0.13)]', out ? 'self-end bg-bubble-out' : 'self-start bg-white')}
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
          {message.recalled ? null : message.media ? (
            <Suspense fallback={<MediaSlot media={message.media} />}>
              <MessageMedia message={message} media={message.media} />
            </Suspense>
          ) : message.mediaKind ? (
            <MediaPlaceholder kind={message.mediaKind} />
          ) : null}
          {message.linkPreview && !message.recalled ? <LinkPreviewCard preview={message.linkPreview} /> : null}
          {message.recalled ? (
            <span className="italic text-stone-500">This message was deleted</span>
          ) : showBody ? (
            <span data-testid="message-body" className="whitespace-pre-wrap break-words">
              <RichText text={message.body} />
            </span>
          ) : null}
          <span className="float-right ml-2 mt-1.5 inline-flex translate-y-0.5 items-center gap-1 text-[11px] text-stone-600">
            {out && message.sentBy ? (
              <span data-testid="sent-by" data-member-id={message.sentBy.memberId} className="text-stone-500">
                sent by {message.sentBy.name || 'a team member'} ·
              </span>
            ) : null}
            {message.editedAt && !message.recalled ? <EditedTag message={message} /> : null}
            <time dateTime={message.sentAt}>{timeOfDay(message.sentAt)}</time>
            {out ? <Ticks ack={message.ack} /> : null}
          </span>
        </div>
        {sent ? <ReactionChips message={message} send={reactions.send} /> : null}
        {sent ? <ReactionPicker out={out} send={reactions.send} /> : null}
        {reactions.error ? (
          <p role="alert" data-testid="reaction-error" className="px-1 text-xs text-red-700">
            {reactions.error}
          </p>
        ) : null}
      </div>
    </div>
  );
}
