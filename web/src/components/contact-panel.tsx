// The contact panel beside a conversation: the contact's fields, custom fields, labels, stage and
// notes, all edited in place. Esc closes it (handled by the inbox).
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import { contactIdOf, getContact, updateContact, type ContactPatch } from '../api/contacts.ts';
import { addChatLabel, removeChatLabel, setChatDeal, setChatStage } from '../api/chats.ts';
import { createLabel, listLabels } from '../api/labels.ts';
import { createNote, deleteNote, listNotes, updateNote } from '../api/notes.ts';
import { listStages } from '../api/stages.ts';
import type { Chat, Contact, Label, Note } from '../api/types.ts';
import { patchChat } from '../events/patch.ts';
import { EditableField } from './editable-field.tsx';
import { displayName, formatPhone, otherName } from '../lib/phone.ts';
import { stampTime } from '../lib/dates.ts';
import { InputError } from '../lib/error-words.ts';
import { formatDealValue, parseDealValue } from '../lib/money.ts';
import { Avatar, Button, cx, ErrorLine, ErrorState, LabelChip, LoadingState } from './ui.tsx';

const LABEL_COLORS = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#57534e'];

export function ContactPanel({ chat, onClose }: { chat: Chat; onClose: () => void }) {
  const qc = useQueryClient();
  const contactId = contactIdOf(chat);
  const contact = useQuery({ queryKey: keys.contact(contactId ?? 'none'), queryFn: ({ signal }) => getContact(contactId!, signal), enabled: contactId !== null });

  const save = useMutation({
    mutationFn: (patch: ContactPatch) => updateContact(contactId!, patch),
    onSuccess: (updated, patch) => {
      qc.setQueryData<Contact>(keys.contact(contactId!), (c) => ({ ...c, ...updated }) as Contact);
      if (patch.name) patchChat(qc, chat.id, (c) => ({ ...c, name: patch.name! }));
    },
  });

  return (
    <aside data-testid="contact-panel" aria-label="Contact details" className="flex min-h-0 w-full flex-col border-l border-stone-200 bg-white md:w-80 lg:w-96">
      <header className="flex h-14 shrink-0 items-center gap-2 border-b border-stone-200 px-4">
        <h2 className="flex-1 text-[15px] font-medium">Contact</h2>
        <button type="button" aria-label="Close contact panel" data-testid="close-contact" onClick={onClose} className="rounded p-1 text-stone-500 hover:bg-stone-100">
          <svg viewBox="0 0 20 20" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden>
            <path d="M5 5l10 10M15 5L5 15" />
          </svg>
        </button>
      </header>
      <div className="scrollbar-thin min-h-0 flex-1 space-y-6 overflow-y-auto px-4 py-4">
        {contactId === null ? (
          <section className="flex flex-col items-center gap-2 pb-2 text-center">
            <Avatar name={chat.name} seed={chat.id} size="lg" />
            <div className="text-[15px] font-medium">{displayName(chat.name)}</div>
            <p className="text-sm text-stone-500">{chat.isGroup ? 'A group chat: it has no single contact record.' : 'No contact record for this chat yet.'}</p>
          </section>
        ) : contact.isPending ? (
          <LoadingState label="Loading contact…" />
        ) : contact.isError ? (
          <ErrorState title="Could not load the contact" error={contact.error} onRetry={() => void contact.refetch()} />
        ) : (
          <ContactFields contact={contact.data} chat={chat} onSave={(p) => save.mutateAsync(p)} />
        )}
        <StageSection chat={chat} />
        <LabelsSection chat={chat} />
        <NotesSection chatId={chat.id} />
      </div>
    </aside>
  );
}

function ContactFields({ contact, chat, onSave }: { contact: Contact; chat: Chat; onSave: (p: ContactPatch) => Promise<unknown> }) {
  const custom = contact.customFields ?? {};
  const [newKey, setNewKey] = useState('');
  const [newValue, setNewValue] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const setCustom = (next: Record<string, string>) => onSave({ customFields: next });
  const waLine = otherName({ name: contact.name ?? chat.name, waName: contact.waName ?? chat.waName });

  return (
    <section className="space-y-3">
      <div className="flex flex-col items-center gap-2 pb-2">
        <Avatar name={contact.name || chat.name} seed={chat.id} size="lg" />
        <div className="text-sm text-stone-600" data-testid="contact-phone">
          {formatPhone(contact.phone ?? chat.phone) || 'No phone number'}
        </div>
        {waLine ? (
          <div className="text-xs text-stone-500" data-testid="contact-wa-name">
            On WhatsApp: {waLine}
          </div>
        ) : null}
      </div>
      <EditableField label="Name" testId="contact-name" value={contact.name ?? chat.name} onSave={(v) => onSave({ name: v || null })} />
      <EditableField label="Email" testId="contact-email" type="email" value={contact.email} onSave={(v) => onSave({ email: v || null })} />
      <EditableField label="Company" testId="contact-company" value={contact.company} onSave={(v) => onSave({ company: v || null })} />
      <div className="space-y-2">
        <div className="text-xs font-medium uppercase tracking-wide text-stone-500">Custom fields</div>
        {Object.entries(custom).map(([k, v]) => (
          <div key={k} className="flex items-end gap-1">
            <div className="min-w-0 flex-1">
              <EditableField label={k} labelAsTyped testId={`custom-${k}`} value={v} onSave={(nv) => setCustom({ ...custom, [k]: nv })} />
            </div>
            <button
              type="button"
              aria-label={`Remove field ${k}`}
              onClick={() => {
                const next = { ...custom };
                delete next[k];
                void setCustom(next);
              }}
              className="mb-1 rounded px-1.5 text-stone-400 hover:bg-stone-100 hover:text-stone-700"
            >
              ×
            </button>
          </div>
        ))}
        <form
          className="flex gap-1"
          onSubmit={async (e) => {
            e.preventDefault();
            const k = newKey.trim();
            if (!k) return;
            try {
              await setCustom({ ...custom, [k]: newValue.trim() });
              setNewKey('');
              setNewValue('');
              setErr(null);
            } catch (error) {
              setErr(error);
            }
          }}
        >
          <input aria-label="New field name" placeholder="Field" value={newKey} onChange={(e) => setNewKey(e.target.value)} className="w-24 rounded border border-stone-300 px-2 py-1 text-sm" />
          <input aria-label="New field value" placeholder="Value" value={newValue} onChange={(e) => setNewValue(e.target.value)} className="min-w-0 flex-1 rounded border border-stone-300 px-2 py-1 text-sm" />
          <Button type="submit" variant="secondary" disabled={!newKey.trim()}>
            Add
          </Button>
        </form>
        <ErrorLine error={err} className="text-xs" />
      </div>
    </section>
  );
}

function StageSection({ chat }: { chat: Chat }) {
  const qc = useQueryClient();
  const stages = useQuery({ queryKey: keys.stages, queryFn: ({ signal }) => listStages(signal) });
  const move = useMutation({
    mutationFn: (stageId: number | null) => setChatStage(chat.id, stageId),
    onMutate: (stageId) => {
      const before = chat.stageId;
      patchChat(qc, chat.id, (c) => ({ ...c, stageId }));
      return { before };
    },
    onError: (_e, _v, ctx) => {
      if (ctx) patchChat(qc, chat.id, (c) => ({ ...c, stageId: ctx.before }));
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['pipeline'] }),
  });
  return (
    <section className="space-y-1">
      <label htmlFor="contact-stage" className="text-xs font-medium uppercase tracking-wide text-stone-500">
        Pipeline stage
      </label>
      <select
        id="contact-stage"
        data-testid="contact-stage"
        value={chat.stageId ?? ''}
        disabled={stages.isPending}
        onChange={(e) => move.mutate(e.target.value === '' ? null : Number(e.target.value))}
        className="w-full rounded border border-stone-300 bg-white px-2 py-1.5 text-sm"
      >
        <option value="">No stage</option>
        {(stages.data ?? []).map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <ErrorLine error={stages.error} prefix="Stages are unavailable." className="text-xs" />
      <ErrorLine error={move.error} className="text-xs" />
      <DealValueField chat={chat} />
    </section>
  );
}

/** The value of the chat's deal: a number (cents allowed), or empty for none. */
function DealValueField({ chat }: { chat: Chat }) {
  const qc = useQueryClient();
  return (
    <EditableField
      label="Deal value"
      testId="deal-value"
      type="text"
      placeholder="No value"
      value={chat.dealValue == null ? '' : formatDealValue(chat.dealValue)}
      onSave={async (text) => {
        const value = parseDealValue(text);
        if (value === undefined) throw new InputError('Type an amount such as 1200 or 1200.50, or leave it empty.');
        await setChatDeal(chat.id, value);
        patchChat(qc, chat.id, (c) => ({ ...c, dealValue: value }));
        void qc.invalidateQueries({ queryKey: keys.stages });
      }}
    />
  );
}

function LabelsSection({ chat }: { chat: Chat }) {
  const qc = useQueryClient();
  const labels = useQuery({ queryKey: keys.labels, queryFn: ({ signal }) => listLabels(signal) });
  const [name, setName] = useState('');
  const attached = new Set(chat.labels.map((l) => l.id));
  const available = (labels.data ?? []).filter((l) => !attached.has(l.id));

  const add = useMutation({
    mutationFn: async (label: Label) => {
      await addChatLabel(chat.id, label.id);
      return label;
    },
    onMutate: (label) => patchChat(qc, chat.id, (c) => (c.labels.some((l) => l.id === label.id) ? c : { ...c, labels: [...c.labels, label] })),
    onError: (_e, label) => patchChat(qc, chat.id, (c) => ({ ...c, labels: c.labels.filter((l) => l.id !== label.id) })),
  });
  const remove = useMutation({
    mutationFn: (label: Label) => removeChatLabel(chat.id, label.id),
    onMutate: (label) => patchChat(qc, chat.id, (c) => ({ ...c, labels: c.labels.filter((l) => l.id !== label.id) })),
    onError: (_e, label) => patchChat(qc, chat.id, (c) => ({ ...c, labels: [...c.labels, label] })),
  });
  const create = useMutation({
    mutationFn: (n: string) => createLabel(n, LABEL_COLORS[(labels.data?.length ?? 0) % LABEL_COLORS.length]!),
    onSuccess: (label) => {
      qc.setQueryData<Label[]>(keys.labels, (ls) => [...(ls ?? []), label]);
      add.mutate(label);
      setName('');
    },
  });

  const submit = () => {
    const n = name.trim();
    if (!n) return;
    const existing = (labels.data ?? []).find((l) => l.name.toLowerCase() === n.toLowerCase());
    if (existing) {
      if (!attached.has(existing.id)) add.mutate(existing);
      setName('');
    } else create.mutate(n);
  };

  const error = add.error ?? remove.error ?? create.error;
  return (
    <section className="space-y-2" data-testid="labels-section">
      <div className="text-xs font-medium uppercase tracking-wide text-stone-500">Labels</div>
      <div className="flex flex-wrap gap-1" data-testid="chat-labels">
        {chat.labels.length === 0 ? <span className="text-sm text-stone-500">No labels</span> : null}
        {chat.labels.map((l) => (
          <LabelChip key={l.id} name={l.name} color={l.color} onRemove={() => remove.mutate(l)} />
        ))}
      </div>
      {available.length > 0 ? (
        <div className="flex flex-wrap gap-1">
          {available.map((l) => (
            <button key={l.id} type="button" onClick={() => add.mutate(l)} className="rounded-full border border-dashed border-stone-300 px-2 py-0.5 text-xs text-stone-600 hover:border-stone-500">
              + {l.name}
            </button>
          ))}
        </div>
      ) : null}
      <form
        className="flex gap-1"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <input
          aria-label="New label"
          data-testid="new-label"
          placeholder="Add a label"
          value={name}
          onChange={(e) => setName(e.target.value)}
          className="min-w-0 flex-1 rounded border border-stone-300 px-2 py-1 text-sm"
        />
        <Button type="submit" variant="secondary" disabled={!name.trim() || create.isPending}>
          Add
        </Button>
      </form>
      <ErrorLine error={error} className="text-xs" />
    </section>
  );
}

function NotesSection({ chatId }: { chatId: string }) {
  const qc = useQueryClient();
  const notes = useQuery({ queryKey: keys.notes(chatId), queryFn: ({ signal }) => listNotes(chatId, signal) });
  const [draft, setDraft] = useState('');
  const create = useMutation({
    mutationFn: (body: string) => createNote(chatId, body),
    onSuccess: (note) => {
      qc.setQueryData<Note[]>(keys.notes(chatId), (ns) => [note, ...(ns ?? []).filter((n) => n.id !== note.id)]);
      setDraft('');
    },
  });
  const edit = useMutation({
    mutationFn: ({ id, body }: { id: string; body: string }) => updateNote(id, body),
    onSuccess: (note) => qc.setQueryData<Note[]>(keys.notes(chatId), (ns) => (ns ?? []).map((n) => (n.id === note.id ? { ...n, ...note } : n))),
  });
  const del = useMutation({
    mutationFn: (id: string) => deleteNote(id),
    onSuccess: (_r, id) => qc.setQueryData<Note[]>(keys.notes(chatId), (ns) => (ns ?? []).filter((n) => n.id !== id)),
  });

  return (
    <section className="space-y-2" data-testid="notes-section">
      <div className="text-xs font-medium uppercase tracking-wide text-stone-500">Notes</div>
      <form
        className="space-y-1"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.trim()) create.mutate(draft.trim());
        }}
      >
        <textarea
          aria-label="New note"
          data-testid="new-note"
          rows={2}
          placeholder="Write a note…"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey) && draft.trim()) create.mutate(draft.trim());
          }}
          className="w-full resize-y rounded border border-stone-300 px-2 py-1 text-sm"
        />
        <div className="flex justify-end">
          <Button type="submit" variant="secondary" data-testid="add-note" disabled={!draft.trim() || create.isPending}>
            Add note
          </Button>
        </div>
        <ErrorLine error={create.error} className="text-xs" />
      </form>
      {notes.isPending ? (
        <LoadingState label="Loading notes…" />
      ) : notes.isError ? (
        <ErrorState title="Could not load notes" error={notes.error} onRetry={() => void notes.refetch()} />
      ) : notes.data.length === 0 ? (
        <p className="text-sm text-stone-500">No notes yet.</p>
      ) : (
        <ul className="space-y-2" data-testid="notes">
          {notes.data.map((n) => (
            <li key={n.id} data-testid="note" className={cx('rounded-md border border-amber-200 bg-amber-50 px-2 py-1.5')}>
              <EditableField label={stampTime(n.createdAt)} labelAsTyped value={n.body} multiline onSave={(body) => edit.mutateAsync({ id: n.id, body })} />
              <div className="flex justify-end">
                <button type="button" onClick={() => del.mutate(n.id)} className="text-xs text-stone-500 hover:text-red-700">
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
