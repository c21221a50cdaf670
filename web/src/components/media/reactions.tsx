// Reactions under a bubble (emoji and count; ours highlighted, clicked to take it back) and the
// reaction button with six quick emoji. The server answers the message as the page shows it after.
import { useContext, useState } from 'react';
import { QueryClientContext } from '@tanstack/react-query';
import { react } from '../../api/media.ts';
import { keys } from '../../api/keys.ts';
import type { Message, Reaction } from '../../api/types.ts';
import { updateMessage, type Pages } from '../../events/cache.ts';
import { errorWords } from '../../lib/error-words.ts';
import { cx } from '../ui.tsx';

export const QUICK_EMOJI = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;


export function ReactionChips({ message, send }: { message: Message; send: (emoji: string | null) => void }) {
  const reactions = message.reactions ?? [];
  if (reactions.length === 0) return null;
  return (
    <ul data-testid="reactions" aria-label="Reactions" className="-mt-1.5 mb-0.5 flex flex-wrap gap-1 px-1">
      {reactions.map((r: Reaction) => (
        <li key={r.emoji}>
          <button
            type="button"
            data-testid="reaction"
            data-mine={r.mine ? 'true' : undefined}
            aria-pressed={r.mine}
            aria-label={`${r.emoji} ${r.count ?? 1}${r.mine ? ', yours: take it back' : `: react with ${r.emoji}`}`}
            onClick={() => send(r.mine ? null : r.emoji)}
            className={cx('rounded-full border px-1.5 py-px text-xs shadow-sm', r.mine ? 'border-brand-500 bg-brand-50 text-brand-700' : 'border-stone-200 bg-white text-stone-700')}
          >
            {r.emoji}
            {r.count !== null && r.count > 1 ? <span className="ml-0.5">{r.count}</span> : null}
          </button>
        </li>
      ))}
    </ul>
  );
}

export function ReactionPicker({ send, out }: { send: (emoji: string) => void; out: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <div className={cx('absolute top-1 z-20', out ? '-left-9' : '-right-9')} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button
        type="button"
        data-testid="react-button"
        aria-label="React"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        className={cx('flex size-7 items-center justify-center rounded-full bg-white/90 text-stone-500 shadow-sm hover:text-stone-800 focus:opacity-100 group-hover:opacity-100', open ? 'opacity-100' : 'opacity-0')}
      >
        <svg viewBox="0 0 20 20" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden>
          <circle cx="10" cy="10" r="7" />
          <path d="M7 12a4 4 0 0 0 6 0M7.5 8h.01M12.5 8h.01" />
        </svg>
      </button>
      {open ? (
        <div role="group" aria-label="Quick reactions" data-testid="reaction-picker" className={cx('absolute top-8 flex gap-0.5 rounded-full bg-white p-1 shadow-md', out ? 'right-0' : 'left-0')}>
          {QUICK_EMOJI.map((e) => (
            <button
              key={e}
              type="button"
              aria-label={`React with ${e}`}
              onClick={() => {
                setOpen(false);
                send(e);
              }}
              className="rounded-full px-1 text-lg hover:bg-stone-100"
            >
              {e}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

/**
 * The chips and the picker share one request state, so a failure shows once, under the bubble. The
 * cache is optional: a bubble rendered on its own (a preview, a test) still works.
 */
export function useReactions(message: Message) {
  const qc = useContext(QueryClientContext);
  const [error, setError] = useState<string | null>(null);
  const send = (emoji: string | null) => {
    setError(null);
    react(message.id, emoji).then(
      (msg) => qc?.setQueryData<Pages<Message>>(keys.messages(message.chatId), (data) => updateMessage(data, { ...msg, id: message.id })),
      (err: unknown) => setError(errorWords(err).text),
    );
  };
  return { send, error };
}
