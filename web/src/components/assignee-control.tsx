// Who handles the chat, in the conversation header. Admins and owners give it to anyone; an agent
// takes an unassigned chat or gives back their own (the slice enforces the same).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { setAssignee } from '../api/chats.ts';
import { keys } from '../api/keys.ts';
import { listMembers } from '../api/team.ts';
import type { Chat } from '../api/types.ts';
import { applyEvent } from '../events/apply.ts';
import { assigneeId } from '../lib/attention.ts';
import { hasRole } from '../lib/roles.ts';
import { useMember } from '../session.ts';
import { ErrorLine } from './ui.tsx';

interface Option {
  value: string;
  label: string;
}

export function AssigneeControl({ chat }: { chat: Chat }) {
  const { id: myId, role } = useMember();
  const qc = useQueryClient();
  const members = useQuery({ queryKey: keys.members, queryFn: ({ signal }) => listMembers(signal), staleTime: 60_000 });
  const assign = useMutation({
    mutationFn: (memberId: string | null) => setAssignee(chat.id, memberId),
    onSuccess: (next) => {
      // The same path as the chat.updated event that follows: every list re-placed by its filter.
      applyEvent(qc, { type: 'chat.updated', data: next });
      void qc.invalidateQueries({ queryKey: keys.chatCounts });
    },
  });
  const current = assigneeId(chat);
  const currentName = chat.assignee && typeof chat.assignee === 'object' ? chat.assignee.name : '';
  const nameOf = (id: string) => members.data?.find((m) => m.id === id)?.name || (id === current ? currentName : '') || 'Someone';
  const admin = hasRole(role, 'admin');
  let options: Option[];
  let locked = false;
  if (admin) {
    options = (members.data ?? []).map((m) => ({ value: m.id, label: m.id === myId ? `${m.name} (me)` : m.name || m.email }));
    if (current && !options.some((o) => o.value === current)) options.push({ value: current, label: nameOf(current) });
  } else if (current === null || current === myId) {
    options = myId ? [{ value: myId, label: 'Me' }] : [];
  } else {
    options = [{ value: current, label: nameOf(current) }];
    locked = true;
  }
  const selectId = `assignee-${chat.id}`;
  return (
    <div className="flex shrink-0 flex-col items-end">
      <label htmlFor={selectId} className="sr-only">
        Assigned to
      </label>
      <select
        id={selectId}
        data-testid="assignee-select"
        value={current ?? ''}
        disabled={locked || assign.isPending}
        title={locked ? 'Assigned to someone else: an admin can change it' : 'Assigned to'}
        onChange={(e) => assign.mutate(e.target.value === '' ? null : e.target.value)}
        className="max-w-40 rounded-md border border-stone-300 bg-white px-2 py-1 text-sm text-stone-700"
      >
        <option value="">Unassigned</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <ErrorLine error={assign.error} testId="assignee-error" className="text-xs" />
    </div>
  );
}
