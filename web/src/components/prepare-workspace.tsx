// "Set up labels and stages now": creates the WhatsApp workspace (POST /api/connect) without
// leaving the page, so labels and stages can be prepared before the phone is linked. The QR code
// then waits on the Link WhatsApp screen.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { connect } from '../api/auth.ts';
import { keys } from '../api/keys.ts';
import { SAAS } from '../env.ts';
import { Button, ErrorLine } from './ui.tsx';

export function PrepareWorkspace() {
  const qc = useQueryClient();
  const prepare = useMutation({
    mutationFn: connect,
    onSuccess: (me) => {
      qc.setQueryData(keys.me, me);
      for (const key of [keys.wa, keys.labels, keys.stages]) void qc.invalidateQueries({ queryKey: key });
    },
  });
  // Self-hosted, the workspace exists from the start: there is nothing to set up.
  if (!SAAS) return null;
  return (
    <div className="flex flex-col items-center gap-1">
      <Button variant="secondary" data-testid="prepare-workspace" disabled={prepare.isPending} onClick={() => prepare.mutate()}>
        {prepare.isPending ? 'Setting up…' : 'Set up labels and stages now'}
      </Button>
      <p className="max-w-xs text-xs text-stone-500">Link WhatsApp whenever you are ready.</p>
      <ErrorLine error={prepare.error} className="text-xs" />
    </div>
  );
}
