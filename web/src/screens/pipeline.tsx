// The pipeline board: a column per stage (plus chats without a stage), cards for chats, counts and
// deal totals per column. A card moves by HTML5 drag and drop, or by its "Move to" menu (keyboard
// and phone: a native select). Stages can be added (before Won/Lost), renamed, reordered, deleted.
import { useMemo, useState, type DragEvent, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { setChatStage } from '../api/chats.ts';
import { keys } from '../api/keys.ts';
import { createStage, deleteStage, listStages, reorderStages, updateStage } from '../api/stages.ts';
import type { Chat, Stage } from '../api/types.ts';
import { patchChat } from '../events/patch.ts';
import { Avatar, Button, cx, EmptyState, ErrorState, ErrorText, LabelChip, LoadingState, NotLinkedState } from '../components/ui.tsx';
import { useNotLinked } from '../session.ts';
import { PrepareWorkspace } from '../components/prepare-workspace.tsx';
import { listTime } from '../lib/dates.ts';
import { formatDealValue } from '../lib/money.ts';
import { displayName } from '../lib/phone.ts';
import { parseWhatsApp, plainText } from '../lib/wa-format.ts';
import { useChatList } from './inbox.tsx';

const DRAG_TYPE = 'application/x-queunir-chat';

/** What failed on the board, shown in its header. */
interface BoardError {
  prefix?: string;
  error: unknown;
}

export function PipelineScreen() {
  const stages = useQuery({ queryKey: keys.stages, queryFn: ({ signal }) => listStages(signal) });
  const [error, setError] = useState<BoardError | null>(null);
  const qc = useQueryClient();
  const notLinked = useNotLinked(stages.error);

  const add = useMutation({
    mutationFn: (name: string) => createStage(name),
    // The server places it (before the closing stages) and moves those: read the order back.
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.stages }),
    onError: (e) => setError({ error: e }),
  });

  return (
    <div className="flex h-full min-h-0 flex-col bg-stone-50">
      <header className="flex h-14 shrink-0 items-center gap-3 border-b border-stone-200 bg-white px-4">
        <h1 className="text-[15px] font-semibold">Pipeline</h1>
        <p className="hidden text-sm text-stone-500 sm:block">Drag a card, or use its “Move to” menu, to move a chat to another stage.</p>
        {error ? (
          <p role="alert" className="ml-auto text-sm text-red-700">
            <ErrorText error={error.error} prefix={error.prefix} />
          </p>
        ) : null}
      </header>
      {stages.isPending ? (
        <LoadingState label="Loading the board…" />
      ) : notLinked ? (
        <NotLinkedState what="your pipeline">
          <PrepareWorkspace />
        </NotLinkedState>
      ) : stages.isError ? (
        <ErrorState title="Could not load stages" error={stages.error} onRetry={() => void stages.refetch()} />
      ) : (
        // overscroll-x-contain: a sideways swipe at the board's edge scrolls the board, never the
        // browser's history (a phone's swipe-back).
        <div data-testid="pipeline-board" className="scrollbar-thin flex min-h-0 flex-1 gap-3 overflow-x-auto overscroll-x-contain p-3">
          <UnstagedColumn stages={stages.data} onError={setError} />
          {stages.data.map((s, i) => (
            <StageColumn key={s.id} stage={s} index={i} stages={stages.data} onError={setError} />
          ))}
          <AddStage onAdd={(n) => add.mutate(n)} busy={add.isPending} />
          {stages.data.length === 0 ? (
            <div className="w-64 shrink-0">
              <EmptyState title="No stages yet">Add stages such as Lead, Qualified, Won.</EmptyState>
            </div>
          ) : null}
        </div>
      )}
    </div>
  );
}

function useMoveChat(onError: (e: BoardError) => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ chat, stageId }: { chat: Chat; stageId: number | null }) => setChatStage(chat.id, stageId),
    // The columns' totals are the server's: read them again.
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.stages }),
    onMutate: ({ chat, stageId }) => {
      patchChat(qc, chat.id, (c) => ({ ...c, stageId }));
      return { before: chat.stageId };
    },
    onError: (e, { chat }, ctx) => {
      if (ctx) patchChat(qc, chat.id, (c) => ({ ...c, stageId: ctx.before }));
      onError({ prefix: `Could not move ${chat.name}.`, error: e });
    },
  });
}

function Column({
  title,
  count,
  more,
  total,
  stages,
  stageId,
  chats,
  status,
  error,
  onRetry,
  header,
  onError,
}: {
  title: string;
  count: number;
  more: boolean;
  /** The sum of the column's deal values (server-side); undefined: not known. */
  total?: number | undefined;
  stages: Stage[];
  stageId: number | null;
  chats: Chat[];
  status: 'pending' | 'error' | 'success';
  error: unknown;
  onRetry: () => void;
  header?: ReactNode;
  onError: (e: BoardError) => void;
}) {
  const [over, setOver] = useState(false);
  const move = useMoveChat(onError);
  const navigate = useNavigate();
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const raw = e.dataTransfer.getData(DRAG_TYPE) || e.dataTransfer.getData('text/plain');
    if (!raw) return;
    try {
      const chat = JSON.parse(raw) as Chat;
      if (chat.stageId !== stageId) move.mutate({ chat, stageId });
    } catch {
      /* not one of our cards */
    }
  };
  return (
    <section
      data-testid="pipeline-column"
      data-stage-id={stageId ?? 'none'}
      aria-label={`Stage ${title}`}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      className={cx('flex w-72 shrink-0 flex-col rounded-lg border bg-stone-100/80', over ? 'border-brand-500 bg-brand-50' : 'border-stone-200')}
    >
      <div className="flex items-center gap-2 px-3 py-2">
        <h2 className="min-w-0 flex-1 truncate text-sm font-semibold text-stone-800">{title}</h2>
        <span data-testid="column-count" className="rounded-full bg-white px-2 text-xs font-medium text-stone-600" aria-label={`${count}${more ? ' or more' : ''} chats`}>
          {count}
          {more ? '+' : ''}
        </span>
        {total ? (
          <span data-testid="column-total" className="text-xs font-medium text-stone-600" aria-label={`Deals worth ${formatDealValue(total)} in total`}>
            Σ {formatDealValue(total)}
          </span>
        ) : null}
        {header}
      </div>
      <div className="scrollbar-thin min-h-24 flex-1 space-y-2 overflow-y-auto px-2 pb-2">
        {status === 'pending' ? (
          <LoadingState />
        ) : status === 'error' ? (
          <ErrorState title="Could not load" error={error} onRetry={onRetry} />
        ) : chats.length === 0 ? (
          <p className="rounded-md border border-dashed border-stone-300 p-4 text-center text-xs text-stone-500">Drop chats here</p>
        ) : (
          chats.map((c) => (
            <article
              key={c.id}
              data-testid="pipeline-card"
              data-chat-id={c.id}
              draggable
              onDragStart={(e) => {
                e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(c));
                e.dataTransfer.setData('text/plain', JSON.stringify(c));
                e.dataTransfer.effectAllowed = 'move';
              }}
              onDoubleClick={() => navigate(`/inbox/${encodeURIComponent(c.id)}`)}
              // A long press on a phone opens no callout and selects no text; the card moves with its menu.
              className="cursor-grab touch-manipulation select-none rounded-md border border-stone-200 bg-white p-2.5 shadow-sm [-webkit-touch-callout:none] active:cursor-grabbing"
            >
              <div className="flex items-center gap-2">
                <Avatar name={c.name} seed={c.id} size="sm" />
                <div className="min-w-0 flex-1">
                  {/* The way in by keyboard (the card itself is for the mouse's drag and drop). */}
                  <Link to={`/inbox/${encodeURIComponent(c.id)}`} draggable={false} className="block truncate text-sm font-medium text-stone-900 hover:underline">
                    {displayName(c.name)}
                  </Link>
                  <div className="truncate text-xs text-stone-500">{c.preview ? plainText(parseWhatsApp(c.preview)) : ''}</div>
                </div>
                <span className="shrink-0 text-[11px] text-stone-500">{listTime(c.lastMessageAt)}</span>
              </div>
              <div className="mt-1.5 flex items-center gap-2">
                {c.dealValue != null ? (
                  <span data-testid="card-deal-value" className="text-xs font-medium text-stone-700">
                    {formatDealValue(c.dealValue)}
                  </span>
                ) : null}
                <label className="ml-auto flex items-center gap-1 text-[11px] text-stone-500">
                  <span>Move to</span>
                  <select
                    data-testid="card-move"
                    aria-label={`Move ${c.name} to another stage`}
                    value={c.stageId ?? ''}
                    onChange={(e) => {
                      const to = e.target.value === '' ? null : Number(e.target.value);
                      if (to !== c.stageId) move.mutate({ chat: c, stageId: to });
                    }}
                    className="max-w-28 rounded border border-stone-300 bg-white px-1 py-0.5 text-[11px] text-stone-700"
                  >
                    <option value="">No stage</option>
                    {stages.map((s) => (
                      <option key={s.id} value={s.id}>
                        {s.name}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              {c.labels.length > 0 ? (
                <div className="mt-1.5 flex flex-wrap gap-1">
                  {c.labels.map((l) => (
                    <LabelChip key={l.id} name={l.name} color={l.color} />
                  ))}
                </div>
              ) : null}
            </article>
          ))
        )}
      </div>
    </section>
  );
}

function UnstagedColumn({ stages, onError }: { stages: Stage[]; onError: (e: BoardError) => void }) {
  const all = useChatList({});
  const chats = useMemo(() => (all.data?.pages.flatMap((p) => p.items) ?? []).filter((c) => c.stageId === null).slice(0, 100), [all.data]);
  const more = !!all.hasNextPage;
  return (
    <Column title="No stage" stageId={null} stages={stages} count={chats.length} more={more} chats={chats} status={all.status} error={all.error} onRetry={() => void all.refetch()} onError={onError} />
  );
}

function StageColumn({ stage, index, stages, onError }: { stage: Stage; index: number; stages: Stage[]; onError: (e: BoardError) => void }) {
  const list = useChatList({ stage: stage.id });
  const chats = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const qc = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [name, setName] = useState(stage.name);
  const rename = useMutation({
    mutationFn: (n: string) => updateStage(stage.id, { name: n }),
    onSuccess: (s) => qc.setQueryData<Stage[]>(keys.stages, (ss) => (ss ?? []).map((x) => (x.id === stage.id ? { ...x, ...s } : x))),
    onError: (e) => onError({ error: e }),
  });
  const remove = useMutation({
    mutationFn: () => deleteStage(stage.id),
    onSuccess: () => {
      qc.setQueryData<Stage[]>(keys.stages, (ss) => (ss ?? []).filter((x) => x.id !== stage.id));
      void qc.invalidateQueries({ queryKey: keys.chatsAll });
    },
    onError: (e) => onError({ error: e }),
  });
  const reorder = useMutation({
    mutationFn: (ids: number[]) => reorderStages(ids),
    onMutate: (ids) => {
      const before = qc.getQueryData<Stage[]>(keys.stages);
      qc.setQueryData<Stage[]>(keys.stages, (ss) => ids.map((id, position) => ({ ...(ss ?? []).find((s) => s.id === id)!, position })));
      return { before };
    },
    onError: (e, _ids, ctx) => {
      qc.setQueryData(keys.stages, ctx?.before);
      onError({ error: e });
    },
  });
  const shift = (delta: number) => {
    const ids = stages.map((s) => s.id);
    const j = index + delta;
    if (j < 0 || j >= ids.length) return;
    [ids[index], ids[j]] = [ids[j]!, ids[index]!];
    reorder.mutate(ids);
  };
  const header = (
    <span className="flex items-center text-stone-500">
      <button type="button" aria-label={`Move ${stage.name} left`} disabled={index === 0} onClick={() => shift(-1)} className="rounded px-1 hover:bg-stone-200 hover:text-stone-700 disabled:opacity-30">
        ‹
      </button>
      <button type="button" aria-label={`Move ${stage.name} right`} disabled={index === stages.length - 1} onClick={() => shift(1)} className="rounded px-1 hover:bg-stone-200 hover:text-stone-700 disabled:opacity-30">
        ›
      </button>
      <button type="button" aria-label={`Rename ${stage.name}`} onClick={() => setRenaming(true)} className="rounded px-1 text-xs hover:bg-stone-200 hover:text-stone-700">
        ✎
      </button>
      {confirmDelete ? (
        <button type="button" aria-label={`Confirm deleting ${stage.name}`} onClick={() => remove.mutate()} onBlur={() => setConfirmDelete(false)} autoFocus className="rounded bg-red-50 px-1.5 text-xs text-red-700 hover:bg-red-100">
          Delete?
        </button>
      ) : (
        <button type="button" aria-label={`Delete ${stage.name}`} title="Delete the stage (its chats move to No stage)" onClick={() => setConfirmDelete(true)} className="rounded px-1 hover:bg-stone-200 hover:text-red-700">
          ×
        </button>
      )}
    </span>
  );
  return (
    <Column
      title={stage.name}
      stageId={stage.id}
      stages={stages}
      count={stage.chatCount ?? chats.length}
      more={stage.chatCount === undefined && !!list.hasNextPage}
      total={stage.dealTotal}
      chats={chats}
      status={list.status}
      error={list.error}
      onRetry={() => void list.refetch()}
      onError={onError}
      header={
        renaming ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (name.trim()) rename.mutate(name.trim());
              setRenaming(false);
            }}
          >
            <input
              autoFocus
              aria-label="Stage name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              onBlur={() => setRenaming(false)}
              onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), setRenaming(false))}
              className="w-28 rounded border border-stone-300 px-1 text-sm"
            />
          </form>
        ) : (
          header
        )
      }
    />
  );
}

function AddStage({ onAdd, busy }: { onAdd: (name: string) => void; busy: boolean }) {
  const [name, setName] = useState('');
  return (
    <form
      className="flex h-fit w-64 shrink-0 gap-1 rounded-lg border border-dashed border-stone-300 p-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) return;
        onAdd(name.trim());
        setName('');
      }}
    >
      <input aria-label="New stage name" data-testid="new-stage" placeholder="New stage" value={name} onChange={(e) => setName(e.target.value)} className="min-w-0 flex-1 rounded border border-stone-300 bg-white px-2 py-1 text-sm" />
      <Button type="submit" variant="secondary" disabled={busy || !name.trim()}>
        Add
      </Button>
    </form>
  );
}
