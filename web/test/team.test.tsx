import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { TeamScreen } from '../src/screens/team.tsx';
import { AppShell, navFor } from '../src/components/app-shell.tsx';
import { fakeTeam } from './team-fixtures.ts';
import { renderWith } from './helpers.tsx';

afterEach(() => vi.unstubAllGlobals());

const row = async (id: string) => (await screen.findAllByTestId('member-row')).find((r) => r.getAttribute('data-member-id') === id)!;

describe('Team page by role', () => {
  it('an agent sees the members and its own availability, but no invitations, no role select, no remove', async () => {
    const { calls } = fakeTeam('agent');
    renderWith(<TeamScreen />, { route: '/team' });
    const mine = await row('m3');
    expect(within(mine).getByTestId('availability-toggle')).toBeTruthy();
    expect(within(await row('m1')).queryByTestId('availability-toggle')).toBeNull();
    expect(screen.queryByTestId('member-role')).toBeNull();
    expect(screen.queryByTestId('remove-member')).toBeNull();
    expect(screen.queryByTestId('invite-email')).toBeNull();
    expect(((await screen.findByTestId('round-robin-toggle')) as HTMLInputElement).disabled).toBe(true);
    // An agent never even asks for the invitations (the server would say ROLE_REQUIRED).
    expect(calls.some((c) => c.path.startsWith('/api/team/invitations'))).toBe(false);

    fireEvent.click(within(mine).getByTestId('availability-toggle'));
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({ path: '/api/team/members/m3', body: { available: true } }));
  });

  it('an admin manages agents but not the owner, and cannot hand out the owner role', async () => {
    fakeTeam('admin');
    renderWith(<TeamScreen />, { route: '/team' });
    const agent = await row('m3');
    const select = within(agent).getByTestId('member-role') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['agent', 'admin']);
    expect(within(agent).getByTestId('remove-member')).toBeTruthy();
    const owner = await row('m1');
    expect(within(owner).queryByTestId('member-role')).toBeNull();
    expect(within(owner).queryByTestId('remove-member')).toBeNull();
    expect([...(screen.getByTestId('invite-role') as HTMLSelectElement).options].map((o) => o.value)).toEqual(['agent', 'admin']);
  });

  it('an owner changes roles (owner included) and the team settings', async () => {
    const { calls, state } = fakeTeam('owner');
    renderWith(<TeamScreen />, { route: '/team' });
    const select = within(await row('m2')).getByTestId('member-role') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['agent', 'admin', 'owner']);
    fireEvent.change(select, { target: { value: 'owner' } });
    await waitFor(() => expect(state.members.find((m) => m.id === 'm2')!.role).toBe('owner'));

    const rr = (await screen.findByTestId('round-robin-toggle')) as HTMLInputElement;
    expect(rr.disabled).toBe(false);
    fireEvent.click(rr);
    await waitFor(() => expect(calls.find((c) => c.method === 'PUT' && c.path === '/api/team/settings')?.body).toEqual({ roundRobin: true, agentsSeeOwnChatsOnly: false }));
    await waitFor(() => expect((screen.getByTestId('round-robin-toggle') as HTMLInputElement).checked).toBe(true));
    fireEvent.click(screen.getByTestId('agents-own-only-toggle'));
    await waitFor(() => expect(state.settings).toEqual({ roundRobin: true, agentsSeeOwnChatsOnly: true }));
  });

  it('invites by email and role, lists the invitation, revokes one', async () => {
    const { calls } = fakeTeam('owner');
    renderWith(<TeamScreen />, { route: '/team' });
    expect(await screen.findAllByTestId('invitation-row')).toHaveLength(1);
    fireEvent.change(screen.getByTestId('invite-email'), { target: { value: ' new@shop.test ' } });
    fireEvent.change(screen.getByTestId('invite-role'), { target: { value: 'admin' } });
    fireEvent.click(screen.getByTestId('invite-submit'));
    expect((await screen.findByTestId('invite-sent')).textContent).toContain('new@shop.test');
    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/team/invitations')!;
    expect(post.body).toEqual({ email: 'new@shop.test', role: 'admin' });
    expect(post.headers['x-csrf-token']).toBe('csrf-team');
    await waitFor(() => expect(screen.getAllByTestId('invitation-row')).toHaveLength(2));

    fireEvent.click(within(screen.getAllByTestId('invitation-row')[0]!).getByTestId('revoke-invitation'));
    await waitFor(() => expect(screen.getAllByTestId('invitation-row')).toHaveLength(1));
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/api/team/invitations/i1')).toBe(true);
  });

  it('shows the server refusing an invitation in words (email not verified)', async () => {
    fakeTeam('owner', (c) =>
      c.method === 'POST' && c.path === '/api/team/invitations' ? { status: 409, body: { error: { kind: 'FailedPrecondition', code: 'EMAIL_NOT_VERIFIED', message: 'verify your email first' } } } : undefined,
    );
    renderWith(<TeamScreen />, { route: '/team' });
    fireEvent.change(await screen.findByTestId('invite-email'), { target: { value: 'new@shop.test' } });
    fireEvent.click(screen.getByTestId('invite-submit'));
    expect((await screen.findByTestId('invite-error')).textContent).toBe('Confirm your email address first: open the link we sent you.');
  });

  it('removing a member takes two clicks and drops the row', async () => {
    const { calls } = fakeTeam('owner');
    renderWith(<TeamScreen />, { route: '/team' });
    fireEvent.click(within(await row('m3')).getByTestId('remove-member'));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(within(await row('m3')).getByTestId('remove-member-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('member-row').map((r) => r.getAttribute('data-member-id'))).toEqual(['m1', 'm2']));
    expect(calls.find((c) => c.method === 'DELETE')!.path).toBe('/api/team/members/m3');
  });

  it('the LAST_OWNER refusal is said beside the member', async () => {
    fakeTeam('owner', (c) => (c.method === 'PATCH' ? { status: 409, body: { error: { kind: 'FailedPrecondition', code: 'LAST_OWNER', message: 'last owner' } } } : undefined));
    renderWith(<TeamScreen />, { route: '/team' });
    fireEvent.change(within(await row('m2')).getByTestId('member-role'), { target: { value: 'agent' } });
    expect((await screen.findByTestId('member-error')).textContent).toMatch(/at least one owner/);
  });

  it('has no axe violations for an owner', async () => {
    fakeTeam('owner');
    const { container } = renderWith(<TeamScreen />, { route: '/team' });
    await screen.findAllByTestId('invitation-row');
    await screen.findByTestId('round-robin-toggle');
    const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`)).toEqual([]);
  });
});

describe('navigation by role', () => {
  const ids = (role: 'owner' | 'admin' | 'agent' | null, billingOn = true, hasMembers = true) => navFor({ saas: true, billingOn, role, hasMembers }).map((n) => n.icon);

  it('Team for everyone in an account, Integrations for owners and admins, Billing and Audit for owners only', () => {
    expect(ids('owner')).toEqual(['inbox', 'pipeline', 'contacts', 'link', 'team', 'billing', 'audit', 'account', 'integrations', 'settings']);
    expect(ids('admin')).toEqual(['inbox', 'pipeline', 'contacts', 'link', 'team', 'account', 'integrations', 'settings']);
    expect(ids('agent')).toEqual(['inbox', 'pipeline', 'contacts', 'link', 'team', 'account', 'settings']);
    expect(ids('owner', false)).not.toContain('billing');
    // Self-hosted: no account pages at all.
    expect(navFor({ saas: false, billingOn: false, role: null, hasMembers: false }).map((n) => n.icon)).toEqual(['inbox', 'pipeline', 'contacts', 'link', 'settings']);
  });

  it('the shell renders what the role allows', async () => {
    vi.stubGlobal('EventSource', class { addEventListener() {} close() {} });
    fakeTeam('agent', (c) => (c.path.startsWith('/api/chats') ? { status: 200, body: { chats: 0 } } : undefined));
    renderWith(<AppShell>page</AppShell>, { route: '/inbox' });
    expect(await screen.findByTestId('nav-team')).toBeTruthy();
    expect(screen.getByTestId('nav-account')).toBeTruthy();
    expect(screen.queryByTestId('nav-billing')).toBeNull();
    expect(screen.queryByTestId('nav-audit')).toBeNull();
  });
});
