// The Team page: members (role, availability, remove, leave), pending invitations (revoke), the invite
// form, and the owner's team settings. What a role cannot do is not offered; the server refuses it anyway.
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import { getTeamSettings, invite, leaveTeam, listInvitations, listMembers, putTeamSettings, removeMember, revokeInvitation, updateMember, type Member, type TeamSettings } from '../api/team.ts';
import type { MemberRole } from '../api/types.ts';
import { assignableRoles, hasRole, ROLE_LABELS } from '../lib/roles.ts';
import { formatDay } from './billing.tsx';
import { useMember } from '../session.ts';
import { Page, Section, Toggle } from '../components/page.tsx';
import { Button, ConfirmButton, ErrorLine, ErrorState, LoadingState, TextField } from '../components/ui.tsx';

export function TeamScreen() {
  const { role } = useMember();
  return (
    <Page title="Team">
      <MembersSection />
      {hasRole(role, 'admin') ? <InvitationsSection /> : null}
      <SettingsSection />
    </Page>
  );
}

function useTeamChange() {
  const qc = useQueryClient();
  return () => void qc.invalidateQueries({ queryKey: keys.teamAll });
}

/** An admin manages agents and admins; only an owner manages owners. */
function canManage(myRole: MemberRole | null, target: Member): boolean {
  if (target.you || !hasRole(myRole, 'admin')) return false;
  return target.role !== 'owner' || myRole === 'owner';
}

function MembersSection() {
  const members = useQuery({ queryKey: keys.members, queryFn: ({ signal }) => listMembers(signal) });
  return (
    <Section title="Members" testId="team-members">
      {members.isPending ? (
        <LoadingState label="Loading the team…" />
      ) : members.isError ? (
        <ErrorState title="Could not load the team" error={members.error} onRetry={() => void members.refetch()} />
      ) : (
        <ul className="divide-y divide-stone-100">
          {members.data.map((m) => (
            <MemberRow key={m.id} member={m} />
          ))}
        </ul>
      )}
    </Section>
  );
}

function MemberRow({ member }: { member: Member }) {
  const { role: myRole } = useMember();
  const changed = useTeamChange();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const update = useMutation({ mutationFn: (patch: { role?: MemberRole; available?: boolean }) => updateMember(member.id, patch), onSettled: changed });
  const remove = useMutation({ mutationFn: () => removeMember(member.id), onSuccess: changed });
  const leave = useMutation({
    mutationFn: leaveTeam,
    onSuccess: () => {
      qc.clear();
      navigate('/', { replace: true });
    },
  });
  const manage = canManage(myRole, member);
  const roleId = `member-role-${member.id}`;
  return (
    <li data-testid="member-row" data-member-id={member.id} className="space-y-1 py-3 text-sm">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1">
          <div className="truncate font-medium text-stone-900">
            {member.name || member.email}
            {member.you ? <span className="ml-1 text-xs font-normal text-stone-500">(you)</span> : null}
          </div>
          <div className="truncate text-xs text-stone-500">
            {member.email} · joined {formatDay(member.joinedAt)}
          </div>
        </div>
        {manage ? (
          <>
            <label htmlFor={roleId} className="sr-only">
              Role of {member.name || member.email}
            </label>
            <select
              id={roleId}
              data-testid="member-role"
              value={member.role}
              disabled={update.isPending}
              onChange={(e) => update.mutate({ role: e.target.value as MemberRole })}
              className="rounded-md border border-stone-300 bg-white px-2 py-1"
            >
              {assignableRoles(myRole).map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </>
        ) : (
          <span data-testid="member-role-text" className="rounded-full bg-stone-100 px-2 py-0.5 text-xs text-stone-700">
            {ROLE_LABELS[member.role]}
          </span>
        )}
        {member.you || manage ? (
          <Toggle testId="availability-toggle" checked={member.available} disabled={update.isPending} onChange={(available) => update.mutate({ available })}>
            Available<span className="sr-only"> for new chats: {member.name || member.email}</span>
          </Toggle>
        ) : (
          <span className="text-xs text-stone-500">{member.available ? 'Available' : 'Away'}</span>
        )}
        {manage ? <ConfirmButton testId="remove-member" label="Remove" confirmLabel={`Remove ${member.name || member.email}`} disabled={remove.isPending} onConfirm={() => remove.mutate()} /> : null}
        {member.you ? <ConfirmButton testId="leave-team" variant="secondary" label="Leave" confirmLabel="Leave this account" disabled={leave.isPending} onConfirm={() => leave.mutate()} /> : null}
      </div>
      <ErrorLine error={update.error ?? remove.error ?? leave.error} testId="member-error" className="text-xs" />
    </li>
  );
}

function InvitationsSection() {
  const { role } = useMember();
  const changed = useTeamChange();
  const invitations = useQuery({ queryKey: keys.invitations, queryFn: ({ signal }) => listInvitations(signal) });
  const revoke = useMutation({ mutationFn: revokeInvitation, onSuccess: changed });
  const [email, setEmail] = useState('');
  const [newRole, setNewRole] = useState<MemberRole>('agent');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const send = useMutation({
    mutationFn: () => invite(email.trim(), newRole),
    onSuccess: () => {
      setSentTo(email.trim());
      setEmail('');
      changed();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSentTo(null);
    if (email.trim()) send.mutate();
  };
  return (
    <Section title="Invitations" testId="team-invitations">
      <form onSubmit={submit} aria-label="Invite someone" className="flex flex-wrap items-end gap-2">
        <TextField id="invite-email" data-testid="invite-email" label="Email" type="email" autoComplete="off" required value={email} onChange={(e) => setEmail(e.target.value)} className="min-w-48 flex-1" />
        <div className="flex flex-col gap-1">
          <label htmlFor="invite-role" className="text-sm font-medium text-stone-700">
            Role
          </label>
          <select id="invite-role" data-testid="invite-role" value={newRole} onChange={(e) => setNewRole(e.target.value as MemberRole)} className="rounded-md border border-stone-300 bg-white px-2 py-2 text-sm">
            {assignableRoles(role).map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        <Button type="submit" data-testid="invite-submit" disabled={send.isPending || !email.trim()} className="py-2">
          {send.isPending ? 'Sending…' : 'Send invitation'}
        </Button>
      </form>
      {sentTo ? (
        <p role="status" data-testid="invite-sent" className="text-sm text-brand-700">
          Invitation sent to {sentTo}. The link works once, for 72 hours.
        </p>
      ) : null}
      <ErrorLine error={send.error} testId="invite-error" />
      {invitations.isPending ? (
        <LoadingState label="Loading invitations…" />
      ) : invitations.isError ? (
        <ErrorState title="Could not load the invitations" error={invitations.error} onRetry={() => void invitations.refetch()} />
      ) : invitations.data.length === 0 ? (
        <p data-testid="no-invitations" className="text-sm text-stone-500">
          No pending invitations.
        </p>
      ) : (
        <ul className="divide-y divide-stone-100">
          {invitations.data.map((i) => (
            <li key={i.id} data-testid="invitation-row" data-invitation-id={i.id} className="flex flex-wrap items-center gap-3 py-2 text-sm">
              <span className="min-w-0 flex-1 truncate">
                {i.email} · {ROLE_LABELS[i.role]}
                <span className="block text-xs text-stone-500">
                  {i.invitedBy ? `Invited by ${i.invitedBy.name}, ` : ''}until {formatDay(i.expiresAt)}
                </span>
              </span>
              <Button variant="danger" data-testid="revoke-invitation" aria-label={`Revoke the invitation of ${i.email}`} disabled={revoke.isPending} onClick={() => revoke.mutate(i.id)}>
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
      <ErrorLine error={revoke.error} className="text-xs" />
    </Section>
  );
}

function SettingsSection() {
  const { role } = useMember();
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: keys.teamSettings, queryFn: ({ signal }) => getTeamSettings(signal) });
  const save = useMutation({
    mutationFn: putTeamSettings,
    onSuccess: (next) => qc.setQueryData(keys.teamSettings, next),
  });
  const owner = role === 'owner';
  const s = settings.data;
  const change = (patch: Partial<TeamSettings>) => s && save.mutate({ ...s, ...patch });
  return (
    <Section title="How chats are shared" testId="team-settings">
      {settings.isPending ? (
        <LoadingState />
      ) : settings.isError ? (
        <ErrorState title="Could not load the team settings" error={settings.error} onRetry={() => void settings.refetch()} />
      ) : (
        <>
          <Toggle testId="round-robin-toggle" checked={s!.roundRobin} disabled={!owner || save.isPending} onChange={(roundRobin) => change({ roundRobin })} hint="A new conversation goes to the available member who waited longest for one.">
            Assign new chats in turn (round-robin)
          </Toggle>
          <Toggle testId="agents-own-only-toggle" checked={s!.agentsSeeOwnChatsOnly} disabled={!owner || save.isPending} onChange={(agentsSeeOwnChatsOnly) => change({ agentsSeeOwnChatsOnly })} hint="Agents then see only chats assigned to them and unassigned ones.">
            Agents see only their chats
          </Toggle>
          {owner ? null : <p className="text-xs text-stone-500">Only an owner changes these.</p>}
          <ErrorLine error={save.error} testId="team-settings-error" className="text-xs" />
        </>
      )}
    </Section>
  );
}
