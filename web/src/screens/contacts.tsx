// Contacts: every contact record, paged by the server's cursor and searched by it, with the labels and
// stage of each contact's chat and its custom fields. Rows can be selected (one by one, or all shown)
// for a bulk change of label or stage, done chat by chat through the per-chat routes: progress is
// shown, and each contact that failed is listed and stays selected. A name opens the chat.
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { keepPreviousData, useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { addChatLabel, getChat, removeChatLabel, setChatStage } from '../api/chats.ts';
import { listContacts } from '../api/contacts.ts';
import { InputError } from '../lib/error-words.ts';
import { keys } from '../api/keys.ts';
import { listLabels } from '../api/labels.ts';
import { toChat } from '../api/normalise.ts';
import { listStages } from '../api/stages.ts';
import type { Contact, Label, Stage } from '../api/types.ts';
import { applyEvent } from '../events/apply.ts';
import { runBulk, type BulkProgress } from '../lib/bulk.ts';
import { displayName, formatPhone, otherName } from '../lib/phone.ts';
import { useNotLinked } from '../session.ts';
import { Button, EmptyState, ErrorState, ErrorText, LabelChip, LoadingState, NotLinkedState, Spinner } from '../components/ui.tsx';

/** What a bulk change does, encoded as the value of its <option>. */
type BulkAction = { kind: 'add' | 'remove'; labelId: number } | { kind: 'stage'; stageId: number | null };

export function parseAction(value: string): BulkAction | null {
  const [kind, id] = value.split(':');
  if (kind === 'add' || kind === 'remove') return { kind, labelId: Number(id) };
  if (kind === 'stage') return { kind, stageId: id === 'none' ? null : Number(id) };
  return null;
}

function perform(action: BulkAction, chatId: string): Promise<unknown> {
  if (action.kind === 'stage') return setChatStage(chatId, action.stageId);
  return action.kind === 'add' ? addChatLabel(chatId, action.labelId) : removeChatLabel(chatId, action.labelId);
}

const nameOf = (c: Contact) => displayName(c.name ?? c.waName ?? c.phone ?? 'Unknown');

export function ContactsScreen() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [query, setQuery] = useState('');
  const [q, setQ] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [action, setAction] = useState('');
  const [progress, setProgress] = useState<(BulkProgress<Contact> & { running: boolean }) | null>(null);
  useEffect(() => {
    const t = setTimeout(() => setQ(query.trim()), 250);
    return () => clearTimeout(t);
  }, [query]);

  const contacts = useInfiniteQuery({
    queryKey: keys.contacts(q),
    queryFn: ({ pageParam, signal }) => listContacts(q, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
  const labels = useQuery({ queryKey: keys.labels, queryFn: ({ signal }) => listLabels(signal) });
  const stages = useQuery({ queryKey: keys.stages, queryFn: ({ signal }) => listStages(signal) });
  const items = useMemo(() => contacts.data?.pages.flatMap((p) => p.items) ?? [], [contacts.data]);
  const notLinked = useNotLinked(contacts.error, !q && contacts.isSuccess && items.length === 0);

  const allShown = items.length > 0 && items.every((c) => selected.has(c.id));
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const apply = async () => {
    const chosen = parseAction(action);
    if (!chosen) return;
    const targets = items.filter((c) => selected.has(c.id));
    const result = await runBulk(
      targets,
      (c) => {
        if (!c.chatId) return Promise.reject(new InputError('This contact has no chat, so it has no labels or stage.'));
        return perform(chosen, c.chatId);
      },
      (p, last) => {
        setProgress({ ...p, running: p.done < p.total });
        // The chat as stored after the change: its row, the inbox and the pipeline show it at once.
        if (last?.result) applyEvent(qc, { type: 'chat.updated', data: toChat(last.result) });
        if (last?.result) qc.setQueryData(keys.chat(String(last.item.chatId)), toChat(last.result));
      },
    );
    // What failed stays selected, so it can be tried again.
    setSelected(new Set(result.failures.map((f) => f.item.id)));
    void qc.invalidateQueries({ queryKey: keys.contactsAll });
  };

  return (
    <div className="flex h-full min-h-0 flex-col bg-stone-50">
      <header className="flex shrink-0 flex-wrap items-center gap-3 border-b border-stone-200 bg-white px-4 py-2.5">
        <h1 className="text-[15px] font-semibold">Contacts</h1>
        <input
          data-testid="contact-search"
          type="search"
          aria-label="Search contacts"
          placeholder="Search name, phone, email, company"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          className="w-full max-w-xs rounded-lg bg-stone-100 px-3 py-1.5 text-sm outline-none focus:bg-white focus:ring-2 focus:ring-brand-100"
        />
        {contacts.isFetching && !contacts.isPending ? <Spinner /> : null}
      </header>
      {selected.size > 0 || progress ? (
        <BulkBar
          count={selected.size}
          labels={labels.data ?? []}
          stages={stages.data ?? []}
          action={action}
          onAction={setAction}
          onApply={() => void apply()}
          onClear={() => {
            setSelected(new Set());
            setProgress(null);
          }}
          progress={progress}
        />
      ) : null}
      {contacts.isPending ? (
        <LoadingState label="Loading contacts…" />
      ) : notLinked ? (
        <NotLinkedState what="your contacts" />
      ) : contacts.isError ? (
        <ErrorState title="Could not load contacts" error={contacts.error} onRetry={() => void contacts.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState testId="contacts-empty" title={q ? `No contacts match “${q}”` : 'No contacts yet. They appear here as soon as WhatsApp syncs.'} />
      ) : (
        <div className="scrollbar-thin min-h-0 flex-1 overflow-auto">
          <table data-testid="contacts-table" className="w-full min-w-[760px] border-collapse bg-white text-left text-sm">
            <thead className="sticky top-0 z-10 bg-stone-100 text-xs text-stone-600">
              <tr>
                <th scope="col" className="w-10 px-3 py-2">
                  <input
                    type="checkbox"
                    data-testid="select-all"
                    aria-label="Select all contacts shown"
                    checked={allShown}
                    onChange={() => setSelected(allShown ? new Set() : new Set(items.map((c) => c.id)))}
                  />
                </th>
                <th scope="col" className="px-3 py-2 font-medium">Name</th>
                <th scope="col" className="px-3 py-2 font-medium">Phone</th>
                <th scope="col" className="px-3 py-2 font-medium">Email</th>
                <th scope="col" className="px-3 py-2 font-medium">Company</th>
                <th scope="col" className="px-3 py-2 font-medium">Labels</th>
                <th scope="col" className="px-3 py-2 font-medium">Stage</th>
                <th scope="col" className="px-3 py-2 font-medium">Custom fields</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <ContactRow key={c.id} contact={c} stages={stages.data ?? []} selected={selected.has(c.id)} onToggle={() => toggle(c.id)} onOpen={(chatId) => navigate(`/inbox/${encodeURIComponent(chatId)}`)} />
              ))}
            </tbody>
          </table>
          <div className="flex items-center justify-center gap-3 p-3 text-sm text-stone-500">
            <span data-testid="contacts-shown">
              {items.length} {items.length === 1 ? 'contact' : 'contacts'} shown
            </span>
            {contacts.hasNextPage ? (
              <Button variant="secondary" data-testid="contacts-more" disabled={contacts.isFetchingNextPage} onClick={() => void contacts.fetchNextPage()}>
                {contacts.isFetchingNextPage ? 'Loading…' : 'Load more contacts'}
              </Button>
            ) : null}
          </div>
        </div>
      )}
    </div>
  );
}

function ContactRow({ contact, stages, selected, onToggle, onOpen }: { contact: Contact; stages: Stage[]; selected: boolean; onToggle: () => void; onOpen: (chatId: string) => void }) {
  const chatId = contact.chatId ?? null;
  // The labels live on the chat. The contact list answers them; the chat's own cache entry, when a
  // change (a bulk action, an event) put one there, is newer. Asked for only when the list did not.
  const chat = useQuery({ queryKey: keys.chat(chatId ?? ''), queryFn: ({ signal }) => getChat(chatId!, signal), enabled: !!chatId && contact.labels === undefined, staleTime: 30_000 });
  const stageId = chat.data ? chat.data.stageId : (contact.stageId ?? null);
  const stage = stages.find((s) => s.id === stageId);
  const name = nameOf(contact);
  const other = otherName({ name: contact.name ?? '', waName: contact.waName });
  const fields = Object.entries(contact.customFields);
  return (
    <tr
      data-testid="contact-row"
      data-contact-id={contact.id}
      data-chat-id={chatId ?? undefined}
      data-selected={selected}
      onClick={(e) => {
        if (chatId && !(e.target as HTMLElement).closest('input, a, button')) onOpen(chatId);
      }}
      className={selected ? 'cursor-pointer border-b border-stone-100 bg-brand-50' : 'cursor-pointer border-b border-stone-100 hover:bg-stone-50'}
    >
      <td className="px-3 py-2">
        <input type="checkbox" data-testid="select-contact" aria-label={`Select ${name}`} checked={selected} onChange={onToggle} />
      </td>
      <td className="max-w-56 px-3 py-2">
        {chatId ? (
          <Link to={`/inbox/${encodeURIComponent(chatId)}`} data-testid="contact-open" className="block truncate font-medium text-stone-900 hover:underline">
            {name}
          </Link>
        ) : (
          <span className="block truncate font-medium text-stone-900">{name}</span>
        )}
        {other && contact.name ? (
          <span data-testid="contact-wa-name" className="block truncate text-xs text-stone-500">
            {other}
          </span>
        ) : null}
      </td>
      <td data-testid="contact-phone-cell" className="whitespace-nowrap px-3 py-2 text-stone-700">
        {formatPhone(contact.phone)}
      </td>
      <td className="max-w-48 truncate px-3 py-2 text-stone-700">{contact.email ?? ''}</td>
      <td className="max-w-40 truncate px-3 py-2 text-stone-700">{contact.company ?? ''}</td>
      <td data-testid="contact-labels" className="px-3 py-2">
        <span className="flex flex-wrap gap-1">
          {(chat.data?.labels ?? contact.labels ?? []).map((l) => (
            <LabelChip key={l.id} name={l.name} color={l.color} />
          ))}
        </span>
      </td>
      <td data-testid="contact-stage-cell" className="whitespace-nowrap px-3 py-2 text-stone-700">
        {stage?.name ?? ''}
      </td>
      <td className="px-3 py-2 text-xs text-stone-600">
        {fields.length ? (
          <dl data-testid="contact-custom-fields" className="grid grid-cols-[auto_1fr] gap-x-2">
            {fields.map(([k, v]) => (
              <div key={k} className="contents">
                <dt className="font-medium text-stone-700">{k}</dt>
                <dd className="truncate">{v}</dd>
              </div>
            ))}
          </dl>
        ) : null}
      </td>
    </tr>
  );
}

function BulkBar(props: {
  count: number;
  labels: Label[];
  stages: Stage[];
  action: string;
  onAction: (v: string) => void;
  onApply: () => void;
  onClear: () => void;
  progress: (BulkProgress<Contact> & { running: boolean }) | null;
}) {
  const { count, labels, stages, action, progress } = props;
  const running = !!progress?.running;
  return (
    <section aria-label="Change selected contacts" data-testid="bulk-bar" className="shrink-0 space-y-1 border-b border-brand-100 bg-brand-50 px-4 py-2 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <span data-testid="selected-count" className="font-medium text-stone-800">
          {count} selected
        </span>
        <select
          aria-label="Change to make"
          data-testid="bulk-action"
          value={action}
          disabled={running}
          onChange={(e) => props.onAction(e.target.value)}
          className="rounded-md border border-stone-300 bg-white px-2 py-1"
        >
          <option value="">Choose a change…</option>
          <optgroup label="Add label">
            {labels.map((l) => (
              <option key={`a${l.id}`} value={`add:${l.id}`}>{`Add label: ${l.name}`}</option>
            ))}
          </optgroup>
          <optgroup label="Remove label">
            {labels.map((l) => (
              <option key={`r${l.id}`} value={`remove:${l.id}`}>{`Remove label: ${l.name}`}</option>
            ))}
          </optgroup>
          <optgroup label="Set stage">
            {stages.map((s) => (
              <option key={`s${s.id}`} value={`stage:${s.id}`}>{`Stage: ${s.name}`}</option>
            ))}
            <option value="stage:none">No stage</option>
          </optgroup>
        </select>
        <Button data-testid="bulk-apply" disabled={!action || count === 0 || running} onClick={props.onApply}>
          {count === 1 ? 'Apply to 1 contact' : `Apply to ${count} contacts`}
        </Button>
        <Button variant="ghost" data-testid="bulk-clear" disabled={running} onClick={props.onClear}>
          Clear selection
        </Button>
      </div>
      {progress ? (
        <div>
          <p role="status" data-testid="bulk-progress" data-done={progress.done} data-total={progress.total} data-failed={progress.failures.length} className="text-stone-700">
            {running ? `Changing ${progress.done + 1} of ${progress.total}…` : `Done: ${progress.total - progress.failures.length} of ${progress.total} changed`}
            {progress.failures.length ? `, ${progress.failures.length} failed (still selected)` : ''}
          </p>
          {progress.failures.length ? (
            <ul className="mt-1 space-y-0.5">
              {progress.failures.map((f) => (
                <li key={f.item.id} data-testid="bulk-failure" data-contact-id={f.item.id} className="text-red-700">
                  {nameOf(f.item)}: <ErrorText error={f.error} />
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
